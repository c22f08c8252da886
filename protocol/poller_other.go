//go:build !linux

package protocol

import "sync/atomic"

// Poller waits for input on parked Conns without a goroutine each. It is
// implemented on Linux only; elsewhere NewPoller returns ErrNotPollable and
// Conns are read with a goroutine each.
type Poller struct{ parked atomic.Int64 }

// NewPoller returns ErrNotPollable on this platform.
func NewPoller() (*Poller, error) { return nil, ErrNotPollable }

// Close does nothing.
func (p *Poller) Close() error { return nil }

// Parked returns 0.
func (p *Poller) Parked() int { return 0 }

func (p *Poller) arm(*Conn) error { return ErrNotPollable }

func (p *Poller) registered() int { return 0 }

func (p *Poller) disarm(*Conn) {}
