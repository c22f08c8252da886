//go:build !linux

package protocol

import "time"

// processCPU is not measured off Linux.
func processCPU() time.Duration { return 0 }

// threadCPU is not measured off Linux.
func threadCPU() time.Duration { return 0 }
