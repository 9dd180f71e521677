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

// dashboard shows the jobs in flight as live cards, the jobs that ended
// lately, and the projects to generate from, all kept current by the
// page's stream. A new user gets a way to start.
func (s *Server) dashboard(c *fiber.Ctx) error {
	u := currentUser(c)
	ctx := c.UserContext()
	projects, err := s.db.Projects(ctx, u.ID)
	if err != nil {
		return err
	}
	board, err := s.db.JobBoard(ctx, u.ID)
	if err != nil {
		return err
	}
	now := time.Now()
	vm := dashboardLists(board, now)
	vm.UserName = firstName(u.Name)
	vm.Projects = dashProjects(projects, board)
	setView(c, liveView{Kind: "dashboard"})
	return s.page(c, "Dashboard", "dashboard", pages.Dashboard(vm))
}

// dashProjects is the dashboard's list of projects, each with its active
// run (the button), for the page and its live updates alike.
func dashProjects(projects []models.Project, board *models.JobBoard) []pages.DashProject {
	running := map[string]string{}
	for _, snap := range board.Active {
		running[snap.Job.ProjectID] = snap.Job.ID
	}
	var out []pages.DashProject
	for _, p := range projects {
		out = append(out, pages.DashProject{
			ID: p.ID, Name: p.Name, Company: p.CompanyIntelligencePack.CompanyName,
			Updated: p.UpdatedAt.UTC().Format(pages.MinuteLayout), ActiveJobID: running[p.ID],
		})
	}
	return out
}

// dashboardLists is the dashboard's "In progress" and "Recent" from the
// user's board, for the page and its live updates alike.
func dashboardLists(board *models.JobBoard, now time.Time) pages.DashboardVM {
	var vm pages.DashboardVM
	for i := range board.Active {
		vm.Active = append(vm.Active, jobCardVM(&board.Active[i], now))
	}
	for i := range board.Ended[:min(len(board.Ended), recentJobs)] {
		vm.Recent = append(vm.Recent, jobRow(&board.Ended[i], now))
	}
	return vm
}

func firstName(name string) string {
	f := strings.Fields(name)
	if len(f) == 0 {
		return ""
	}
	return f[0]
}
