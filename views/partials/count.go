package partials

import "strconv"

// DocumentsOf counts a run's documents as "1 of 3 documents", the noun
// agreeing with the total: "0 of 1 document", "1 of 1 document" (as GitHub
// counts "1 of 1 task"), never "1 of 1 documents". Every "N of M
// documents" a page or a message shows is built here.
func DocumentsOf(done, total int) string {
	noun := " documents"
	if total == 1 {
		noun = " document"
	}
	return strconv.Itoa(done) + " of " + strconv.Itoa(total) + noun
}
