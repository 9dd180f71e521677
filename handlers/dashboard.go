package handlers

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"dossier/models"
	"dossier/views/pages"
)

// recentJobs is how many ended jobs the dashboard lists.
const recentJobs = 6

// DashboardRoutes registers the dashboard, the signed-in home page.
func (s *Server) DashboardRoutes(r fiber.Router) {
	r.Get("/", s.dashboard)
}

// dashboard shows the jobs in flight as live cards (each listens to its
// event on the page's /events stream), the jobs that ended lately, and the
// projects to generate from. A new user gets a way to start.
func (s *Server) dashboard(c *fiber.Ctx) error {
	u := currentUser(c)
	ctx := c.UserContext()
	projects, err := s.db.Projects(ctx, u.ID)
	if err != nil {
		return err
	}
	active, err := s.jobSnapshots(c, u.ID, models.JobFilter{Statuses: []string{models.StatusQueued, models.StatusProcessing}, Limit: 20})
	if err != nil {
		return err
	}
	ended, err := s.db.Jobs(ctx, u.ID, models.JobFilter{
		Statuses: []string{models.StatusCompleted, models.StatusFailed, models.StatusCancelled}, Limit: recentJobs})
	if err != nil {
		return err
	}
	now := time.Now()
	vm := pages.DashboardVM{UserName: firstName(u.Name)}
	running := map[string]string{}
	for i := range active {
		vm.Active = append(vm.Active, jobCardVM(&active[i], now))
		running[active[i].Job.ProjectID] = active[i].Job.ID
	}
	names := make(map[string]string, len(projects))
	for _, p := range projects {
		names[p.ID] = p.Name
		vm.Projects = append(vm.Projects, pages.DashProject{
			ID: p.ID, Name: p.Name, Company: p.CompanyIntelligencePack.CompanyName,
			Updated: p.UpdatedAt.UTC().Format("2 Jan 2006"), ActiveJobID: running[p.ID],
		})
	}
	for _, j := range ended {
		vm.Recent = append(vm.Recent, jobRow(&models.JobSnapshot{Job: j, ProjectName: names[j.ProjectID]}, now))
	}
	return s.page(c, "Dashboard", "dashboard", pages.Dashboard(vm))
}

func firstName(name string) string {
	f := strings.Fields(name)
	if len(f) == 0 {
		return ""
	}
	return f[0]
}
