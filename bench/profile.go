package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"dossier/models"
)

// beforeRun and afterRun, when set, run around the timed part of
// dossierRun (after the jobs are queued, before the processor stops);
// riverBefore and riverAfter around riverRun's, with its database's URL.
var (
	beforeQueue             func(*models.DB)
	beforeRun, afterRun     func(*models.DB)
	riverBefore, riverAfter func(url string)
)

// cpuSample is CPU time spent so far: by this process, and by the
// PostgreSQL backends connected to one database.
type cpuSample struct{ client, server time.Duration }

// sampleCPU reads this process's rusage and, through pg_stat_activity and
// /proc, the CPU time of the server processes serving dbURL (the server
// must run on this machine).
func sampleCPU(base, dbURL string) cpuSample {
	var ru syscall.Rusage
	check(syscall.Getrusage(syscall.RUSAGE_SELF, &ru))
	s := cpuSample{client: time.Duration(ru.Utime.Nano() + ru.Stime.Nano())}
	ctx := context.Background()
	u, err := url.Parse(dbURL)
	check(err)
	conn, err := pgx.Connect(ctx, base)
	check(err)
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT pid FROM pg_stat_activity WHERE datname = $1`, strings.TrimPrefix(u.Path, "/"))
	check(err)
	pids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	check(err)
	for _, pid := range pids {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue // ended meanwhile
		}
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
		var ut, st int64
		fmt.Sscan(f[11], &ut)
		fmt.Sscan(f[12], &st)
		s.server += time.Duration(ut+st) * 10 * time.Millisecond // USER_HZ = 100
	}
	return s
}

// benchCPU is BENCH_ONLY=cpu: one round of each queue, with the CPU time
// per job of the client process and of the server's backends. CPU time
// depends far less on what else the machine runs than jobs per second do.
// Backends that exit during the run are not counted; both pools keep theirs.
func benchCPU(base string) {
	ctx := context.Background()
	n := envInt("BENCH_JOBS", 3000)
	var s0 cpuSample
	var dossier, river [2]cpuSample
	beforeRun = func(db *models.DB) { s0 = sampleCPU(base, db.URL) }
	afterRun = func(db *models.DB) {
		s1 := sampleCPU(base, db.URL)
		dossier = [2]cpuSample{s0, s1}
	}
	riverBefore = func(u string) { s0 = sampleCPU(base, u) }
	riverAfter = func(u string) { river = [2]cpuSample{s0, sampleCPU(base, u)} }
	du, drop := newPostgresDB(base)
	djps, _ := dossierRun(ctx, du, n, envInt("BENCH_MAX_PER_USER", 0))
	drop()
	ru, drop := newPostgresDB(base)
	rjps := riverRun(ctx, ru, n)
	drop()
	per := func(d time.Duration) string { return fmt.Sprintf("%.0f µs", float64(d.Microseconds())/float64(n)) }
	// ceiling is the jobs per second the machine's CPUs could give at the
	// measured CPU per job if nothing waited (client and server share them).
	ceiling := func(s [2]cpuSample) string {
		total := (s[1].client - s[0].client) + (s[1].server - s[0].server)
		return fmt.Sprintf("CPU-bound ceiling on %d CPUs %.0f jobs/s", runtime.NumCPU(), float64(runtime.NumCPU())*float64(n)/total.Seconds())
	}
	add("postgres", fmt.Sprintf("CPU per job, dossier (%d jobs × 1 docs)", n), "client "+per(dossier[1].client-dossier[0].client)+", server "+per(dossier[1].server-dossier[0].server),
		fmt.Sprintf("%.0f jobs/s, %s; bench process (rusage) and its database's backends (/proc)", djps, ceiling(dossier)))
	add("postgres", fmt.Sprintf("CPU per job, river (%d jobs)", n), "client "+per(river[1].client-river[0].client)+", server "+per(river[1].server-river[0].server),
		fmt.Sprintf("%.0f jobs/s, %s", rjps, ceiling(river)))
}

// benchDossierOnce is BENCH_ONLY=dossier: one Dossier round of the River
// comparison on a fresh database, for looking inside rather than comparing.
// BENCH_CPUPROFILE=file writes a CPU profile of the run; BENCH_LOG_STATEMENTS=1
// sets log_min_duration_statement = 0 on the fresh database (read the server log,
// lines prefixed with its name, to count statements per job).
// BENCH_MAX_PER_USER=n runs it (and BENCH_ONLY=cpu) with the fair claim's
// cap.
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
	pgss := os.Getenv("BENCH_PGSS") != ""
	beforeRun = func(db *models.DB) {
		check(db.ForTests().Exec(`SELECT 'bench: run starts'`).Error)
		if pgss {
			pgssReset(base)
		}
		if path := os.Getenv("BENCH_CPUPROFILE"); path != "" {
			var err error
			prof, err = os.Create(path)
			check(err)
			check(pprof.StartCPUProfile(prof))
		}
		if path := os.Getenv("BENCH_MEMPROFILE"); path != "" {
			// The allocations before the run (job creation), for
			// `go tool pprof -base FILE.before FILE`.
			runtime.GC()
			f, err := os.Create(path + ".before")
			check(err)
			check(pprof.Lookup("allocs").WriteTo(f, 0))
			check(f.Close())
		}
	}
	afterRun = func(db *models.DB) {
		if prof != nil {
			pprof.StopCPUProfile()
			prof.Close()
		}
		if path := os.Getenv("BENCH_MEMPROFILE"); path != "" {
			runtime.GC()
			f, err := os.Create(path)
			check(err)
			check(pprof.Lookup("allocs").WriteTo(f, 0))
			check(f.Close())
		}
		check(db.ForTests().Exec(`SELECT 'bench: run ends'`).Error)
		if pgss {
			pgssReport(base, db.URL, n)
		}
	}
	jps, commits := dossierRun(ctx, du, n, envInt("BENCH_MAX_PER_USER", 0))
	progress("dossier %.0f jobs/s, %.3f write commits per job (%d jobs × 1 docs, concurrency %d)", jps, commits, n, dossierConcurrency)
}

// pgssReset and pgssReport are BENCH_PGSS=1 (with BENCH_ONLY=dossier): the
// server's time per statement during the run, from pg_stat_statements
// (which must be in shared_preload_libraries, with the extension created in
// the base database and pg_stat_statements.track = all for the triggers'
// statements).
func pgssReset(base string) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	check(err)
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, `SELECT pg_stat_statements_reset()`)
	check(err)
}

func pgssReport(base, dbURL string, jobs int) {
	ctx := context.Background()
	u, err := url.Parse(dbURL)
	check(err)
	conn, err := pgx.Connect(ctx, base)
	check(err)
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT calls, total_exec_time, rows, left(regexp_replace(query, '\s+', ' ', 'g'), 110)
		FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
		WHERE d.datname = $1 ORDER BY total_exec_time DESC LIMIT 25`, strings.TrimPrefix(u.Path, "/"))
	check(err)
	defer rows.Close()
	var total float64
	for rows.Next() {
		var calls, n int64
		var ms float64
		var q string
		check(rows.Scan(&calls, &ms, &n, &q))
		total += ms
		progress("%7d calls %8.1f µs/job %7d rows  %s", calls, ms*1000/float64(jobs), n, q)
	}
	check(rows.Err())
	progress("top statements: %.1f µs/job of execution", total*1000/float64(jobs))
}

// benchAB is BENCH_ONLY=ab: Dossier alone, interleaved rounds on fresh
// databases, A as migrated and B with BENCH_AB_SQL run on it after the
// jobs are queued (say, an index dropped), for a schema change's effect on
// jobs per second and CPU per job before writing its migration.
// BENCH_ROUNDS rounds (default 4) of BENCH_JOBS jobs (default 3000).
func benchAB(base string) {
	ctx := context.Background()
	n, rounds := envInt("BENCH_JOBS", 3000), envInt("BENCH_ROUNDS", 4)
	sql, pre := os.Getenv("BENCH_AB_SQL"), os.Getenv("BENCH_AB_PRESQL")
	type result struct{ jps, client, server []float64 }
	var res [2]result
	for round := range rounds {
		for v := range 2 {
			var s0 cpuSample
			beforeQueue = func(db *models.DB) {
				if v == 1 && pre != "" {
					check(db.ForTests().Exec(pre).Error)
				}
			}
			beforeRun = func(db *models.DB) {
				if v == 1 && sql != "" {
					check(db.ForTests().Exec(sql).Error)
				}
				s0 = sampleCPU(base, db.URL)
			}
			var s1 cpuSample
			afterRun = func(db *models.DB) { s1 = sampleCPU(base, db.URL) }
			du, drop := newPostgresDB(base)
			jps, _ := dossierRun(ctx, du, n, envInt("BENCH_MAX_PER_USER", 0))
			drop()
			r := &res[v]
			r.jps = append(r.jps, jps)
			r.client = append(r.client, float64((s1.client-s0.client).Microseconds())/float64(n))
			r.server = append(r.server, float64((s1.server-s0.server).Microseconds())/float64(n))
			progress("round %d %c: %.0f jobs/s, client %.0f µs, server %.0f µs per job", round+1, 'A'+v, jps, r.client[len(r.client)-1], r.server[len(r.server)-1])
		}
	}
	for v, name := range []string{"A (as migrated)", "B (" + pre + " " + sql + ")"} {
		add("postgres", "ab "+name+" jobs/s", spread(res[v].jps, "%.0f"), "")
		add("postgres", "ab "+name+" client µs/job", spread(res[v].client, "%.0f"), "")
		add("postgres", "ab "+name+" server µs/job", spread(res[v].server, "%.0f"), "")
	}
}
