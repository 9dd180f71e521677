package partials

import "strconv"

// DocumentsOf counts a run's documents as "1 of 3 documents", the noun
// agreeing with the total: "0 of 1 document", "1 of 1 document" (as GitHub
// counts "1 of 1 task"), never "1 of 1 documents". Every "N of M
// documents" a page or a message shows is built here.
func DocumentsOf(done, total int) string {
	return strconv.Itoa(done) + " of " + strconv.Itoa(total) + " " + documentsNoun(total)
}

// documentsNoun is "document" or "documents", as a count of total takes.
func documentsNoun(total int) string {
	if total == 1 {
		return "document"
	}
	return "documents"
}
