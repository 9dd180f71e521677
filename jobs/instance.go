package jobs

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"dossier/models"
)

// InstanceConfig configures an instance's heartbeat row.
type InstanceConfig struct {
	// ID names the process; the processor's Worker, so that the console can
	// match instances with the leases they hold. Required.
	ID string
	// Role is web, worker or all. Required.
	Role string
	// Version is the build's version. Default "dev".
	Version string
	// Interval is how often last_seen is renewed. Default 5s.
	Interval time.Duration
	// Timeout is how long an instance may go unseen before it counts as
	// dead and is dropped. Default 3 × Interval; at least 2 × Interval.
	Timeout time.Duration
	// Logger receives heartbeat failures. Default slog.Default().
	Logger *slog.Logger
}

// InstanceHeartbeat keeps this process's row in the instances table: the
// operator console lists what is alive from it. A clean stop deletes the
// row; a crashed process's row is dropped by the others once it is older
// than Timeout.
type InstanceHeartbeat struct {
	db        *models.DB
	cfg       InstanceConfig
	startedAt time.Time

	startOnce, stopOnce sync.Once
	cancel              context.CancelFunc
	done                chan struct{}
}

// NewInstanceHeartbeat validates cfg and fills its defaults.
func NewInstanceHeartbeat(db *models.DB, cfg InstanceConfig) (*InstanceHeartbeat, error) {
	if cfg.ID == "" || cfg.Role == "" {
		return nil, errors.New("instance heartbeat: ID and Role are required")
	}
	if cfg.Interval < 0 || cfg.Timeout < 0 {
		return nil, errors.New("instance heartbeat: Interval and Timeout must not be negative")
	}
	cfg.Version = cmp.Or(cfg.Version, "dev")
	cfg.Interval = cmp.Or(cfg.Interval, 5*time.Second)
	cfg.Timeout = cmp.Or(cfg.Timeout, 3*cfg.Interval)
	if cfg.Timeout < 2*cfg.Interval {
		return nil, fmt.Errorf("instance heartbeat: Timeout %s must be at least twice Interval %s", cfg.Timeout, cfg.Interval)
	}
	cfg.Logger = cmp.Or(cfg.Logger, slog.Default())
	return &InstanceHeartbeat{db: db, cfg: cfg, done: make(chan struct{})}, nil
}

// Timeout is how long an instance may go unseen and still count as alive.
func (h *InstanceHeartbeat) Timeout() time.Duration { return h.cfg.Timeout }

// Start records the row and renews it in the background; it returns at once.
func (h *InstanceHeartbeat) Start(ctx context.Context) error {
	err := errors.New("instance heartbeat: already started")
	h.startOnce.Do(func() {
		err = nil
		ctx, h.cancel = context.WithCancel(context.WithoutCancel(ctx))
		h.startedAt = h.db.Now(ctx)
		go h.loop(ctx)
	})
	return err
}

func (h *InstanceHeartbeat) loop(ctx context.Context) {
	defer close(h.done)
	t := time.NewTicker(h.cfg.Interval)
	defer t.Stop()
	for {
		if err := h.RunOnce(ctx); err != nil && ctx.Err() == nil {
			h.cfg.Logger.Warn("instance heartbeat", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RunOnce renews the row and drops dead instances; the loop calls it every
// Interval, tests call it directly.
func (h *InstanceHeartbeat) RunOnce(ctx context.Context) error {
	now := h.db.Now(ctx)
	started := h.startedAt
	if started.IsZero() {
		started = now
	}
	return h.db.TouchInstance(ctx, models.Instance{
		ID: h.cfg.ID, Role: h.cfg.Role, Version: h.cfg.Version, StartedAt: started, LastSeen: now,
	}, now.Add(-h.cfg.Timeout))
}

// Stop ends the heartbeat and deletes the row. It is safe to call twice, or
// before Start.
func (h *InstanceHeartbeat) Stop() {
	h.stopOnce.Do(func() {
		started := false
		h.startOnce.Do(func() {})
		if h.cancel != nil {
			started = true
			h.cancel()
			<-h.done
		}
		if !started {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := h.db.RemoveInstance(ctx, h.cfg.ID); err != nil {
			h.cfg.Logger.Warn("instance heartbeat: remove row", "err", err)
		}
	})
}
