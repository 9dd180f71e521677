package main

import (
	"context"
	"fmt"
	"os"
	"runtime/pprof"

	"github.com/jackc/pgx/v5"

	"dossier/models"
)

// beforeRun and afterRun, when set, run around the timed part of
// dossierRun (after the jobs are queued, before the processor stops).
var beforeRun, afterRun func(*models.DB)

// benchDossierOnce is BENCH_ONLY=dossier: one Dossier round of the River
// comparison on a fresh database, for looking inside rather than comparing.
// BENCH_CPUPROFILE=file writes a CPU profile of the run; BENCH_LOG_STATEMENTS=1
// sets log_min_duration_statement = 0 on the fresh database (read the server log,
// lines prefixed with its name, to count statements per job).
func benchDossierOnce(base string) {
	ctx := context.Background()
	n := envInt("BENCH_JOBS", 3000)
	du, drop := newPostgresDB(base)
	if os.Getenv("BENCH_QUEUE_ONLY") != "" {
		// Queue the jobs and keep the database, for EXPLAIN.
		db, err := models.Open(ctx, du)
		check(err)
		f := newFixture(db, 8)
		f.jobs(n, []string{"project_charter"})
		f.broker.Stop()
		db.Close()
		fmt.Println(du)
		return
	}
	defer drop()
	if os.Getenv("BENCH_LOG_STATEMENTS") != "" {
		conn, err := pgx.Connect(ctx, du)
		check(err)
		_, err = conn.Exec(ctx, "ALTER DATABASE "+conn.Config().Database+" SET log_min_duration_statement = 0")
		check(err)
		if os.Getenv("BENCH_AUTO_EXPLAIN") != "" {
			for _, set := range []string{"session_preload_libraries = 'auto_explain'", "auto_explain.log_min_duration = 0",
				"auto_explain.log_analyze = on", "auto_explain.log_buffers = on", "auto_explain.log_triggers = on"} {
				_, err = conn.Exec(ctx, "ALTER DATABASE "+conn.Config().Database+" SET "+set)
				check(err)
			}
		}
		conn.Close(ctx)
		fmt.Fprintln(os.Stderr, "  statements logged for database", du)
	}
	var prof *os.File
	beforeRun = func(db *models.DB) {
		check(db.ForTests().Exec(`SELECT 'bench: run starts'`).Error)
		if path := os.Getenv("BENCH_CPUPROFILE"); path != "" {
			var err error
			prof, err = os.Create(path)
			check(err)
			check(pprof.StartCPUProfile(prof))
		}
	}
	afterRun = func(db *models.DB) {
		if prof != nil {
			pprof.StopCPUProfile()
			prof.Close()
		}
		check(db.ForTests().Exec(`SELECT 'bench: run ends'`).Error)
	}
	jps, commits := dossierRun(ctx, du, n)
	progress("dossier %.0f jobs/s, %.3f write commits per job (%d jobs × 1 docs, concurrency %d)", jps, commits, n, dossierConcurrency)
}
