package jobs

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

var (
	metricClaimed = promauto.NewCounter(prometheus.CounterOpts{
		Name: "dossier_jobs_claimed_total", Help: "Jobs claimed by this process.",
	})
	metricRescued = promauto.NewCounter(prometheus.CounterOpts{
		Name: "dossier_jobs_rescued_total", Help: "Jobs requeued after their lease expired.",
	})
	metricRunning = promauto.NewGauge(prometheus.GaugeOpts{
		Name: "dossier_jobs_running", Help: "Jobs this process is running.",
	})
	metricFinished = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "dossier_jobs_finished_total", Help: "Job runs ended, by resulting status.",
	}, []string{"status"})
	metricDocuments = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "dossier_documents_generated_total", Help: "Documents generated and committed, by type.",
	}, []string{"type"})
	metricDocFailures = promauto.NewCounter(prometheus.CounterOpts{
		Name: "dossier_document_failures_total", Help: "Documents that failed after their retries.",
	})
)
