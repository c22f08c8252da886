package protocol

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
)

// Poller waits for input on parked Conns with one epoll instance and one
// goroutine, so that an idle connection costs no goroutine stack (see
// Conn.Park). One Poller serves any number of Conns; it is safe for
// concurrent use.
//
// A parked socket is registered edge-free and one-shot (EPOLLIN, EPOLLRDHUP,
// EPOLLONESHOT): each Park arms it for one wake-up, and since the check is
// level-triggered, input that arrived before the Park still wakes it.
type Poller struct {
	epfd       int
	stopR      int // read end of the pipe that stops run; registered with id 0
	stopW      int
	done       chan struct{}
	mu         sync.Mutex
	conns      map[uint64]*Conn // registered Conns by id
	next       uint64
	closed     bool
	closedOnce sync.Once
	parked     atomic.Int64
}

// NewPoller starts a Poller. Close it when no Conn uses it any more.
func NewPoller() (*Poller, error) {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("protocol: epoll_create1: %w", err)
	}
	var pipe [2]int
	if err := syscall.Pipe2(pipe[:], syscall.O_CLOEXEC|syscall.O_NONBLOCK); err != nil {
		syscall.Close(epfd)
		return nil, fmt.Errorf("protocol: pipe2: %w", err)
	}
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN}
	if err := syscall.EpollCtl(epfd, syscall.EPOLL_CTL_ADD, pipe[0], &ev); err != nil {
		syscall.Close(epfd)
		syscall.Close(pipe[0])
		syscall.Close(pipe[1])
		return nil, fmt.Errorf("protocol: epoll_ctl: %w", err)
	}
	p := &Poller{epfd: epfd, stopR: pipe[0], stopW: pipe[1], done: make(chan struct{}), conns: map[uint64]*Conn{}}
	go p.run()
	return p, nil
}

// Close stops the Poller and wakes every Conn parked in it (their readers
// then wait with a goroutine each; Park returns ErrNotPollable from now
// on). It returns once the Poller's goroutine has ended.
func (p *Poller) Close() error {
	p.closedOnce.Do(func() {
		p.mu.Lock()
		p.closed = true
		p.mu.Unlock()
		_, _ = syscall.Write(p.stopW, []byte{0})
		<-p.done
		p.mu.Lock()
		conns := p.conns
		p.conns = nil
		p.mu.Unlock()
		for _, c := range conns {
			c.unpark(false)
		}
		syscall.Close(p.epfd)
		syscall.Close(p.stopR)
		syscall.Close(p.stopW)
	})
	return nil
}

// Parked returns the number of Conns parked in the Poller now.
func (p *Poller) Parked() int { return int(p.parked.Load()) }

// registered returns the number of Conns registered with the epoll set
// (parked, or parked once and open since).
func (p *Poller) registered() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.conns)
}

func (p *Poller) run() {
	defer close(p.done)
	events := make([]syscall.EpollEvent, 128)
	for {
		n, err := syscall.EpollWait(p.epfd, events, -1)
		if err != nil {
			if errors.Is(err, syscall.EINTR) {
				continue
			}
			return // EBADF and the like: the Poller is unusable
		}
		for i := range events[:n] {
			id := eventID(&events[i])
			if id == 0 {
				return // Close
			}
			p.mu.Lock()
			c := p.conns[id]
			p.mu.Unlock()
			if c != nil {
				c.unpark(false)
			}
		}
	}
}

// arm registers c (the first time) or re-arms it for one wake-up. c.mu is
// held and c is marked parked.
func (p *Poller) arm(c *Conn) error {
	op := syscall.EPOLL_CTL_MOD
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return ErrNotPollable
	}
	if c.park.id == 0 {
		p.next++
		c.park.id = p.next
		p.conns[c.park.id] = c
		op = syscall.EPOLL_CTL_ADD
	}
	p.mu.Unlock()
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP | syscall.EPOLLONESHOT}
	setEventID(&ev, c.park.id)
	var ctlErr error
	err := c.raw.Control(func(fd uintptr) {
		ctlErr = syscall.EpollCtl(p.epfd, op, int(fd), &ev)
	})
	if err == nil {
		err = ctlErr
	}
	if err != nil {
		p.mu.Lock()
		delete(p.conns, c.park.id)
		p.mu.Unlock()
		c.park.id = 0
		return fmt.Errorf("%w: epoll_ctl: %w", ErrNotPollable, err)
	}
	return nil
}

// disarm removes c from the Poller; its socket is still open. c.mu is held.
func (p *Poller) disarm(c *Conn) {
	_ = c.raw.Control(func(fd uintptr) {
		_ = syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_DEL, int(fd), nil)
	})
	p.mu.Lock()
	if p.conns != nil {
		delete(p.conns, c.park.id)
	}
	p.mu.Unlock()
	c.park.id = 0
}

// The 64 bits of epoll_data hold a Conn's id; syscall.EpollEvent names
// them Fd and Pad.
func setEventID(ev *syscall.EpollEvent, id uint64) {
	ev.Fd = int32(uint32(id))
	ev.Pad = int32(uint32(id >> 32))
}

func eventID(ev *syscall.EpollEvent) uint64 {
	return uint64(uint32(ev.Fd)) | uint64(uint32(ev.Pad))<<32
}
