package documents

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// wDoc is the part of word/document.xml that decides a table's place and
// its columns' widths.
type wDoc struct {
	Tables []wTable `xml:"body>tbl"`
	Sect   struct {
		Size   wWidth `xml:"pgSz"`
		Margin struct {
			Left  int `xml:"left,attr"`
			Right int `xml:"right,attr"`
		} `xml:"pgMar"`
	} `xml:"body>sectPr"`
}

type wTable struct {
	Width       wWidth   `xml:"tblPr>tblW"`
	Indent      *wWidth  `xml:"tblPr>tblInd"`
	MarginLeft  *wWidth  `xml:"tblPr>tblCellMar>left"`
	MarginRight *wWidth  `xml:"tblPr>tblCellMar>right"`
	Grid        []wWidth `xml:"tblGrid>gridCol"`
	Rows        []struct {
		Cells []struct {
			Runs []struct {
				Size wWidth `xml:"rPr>sz"`
				Text string `xml:"t"`
			} `xml:"p>r"`
		} `xml:"tc"`
	} `xml:"tr"`
}

type wWidth struct {
	W    int    `xml:"w,attr"`
	Val  string `xml:"val,attr"`
	Type string `xml:"type,attr"`
}

// textWidth is the width between the page's side margins, in twips.
func (d wDoc) textWidth() int { return d.Sect.Size.W - d.Sect.Margin.Left - d.Sect.Margin.Right }

// header returns the table's header cells' texts and the font size of its
// text in points.
func (t wTable) header() (cells []string, size uint64) {
	for _, c := range t.Rows[0].Cells {
		var b strings.Builder
		for _, r := range c.Runs {
			b.WriteString(r.Text)
			if half, err := strconv.Atoi(r.Size.Val); err == nil {
				size = uint64(half / 2)
			}
		}
		cells = append(cells, b.String())
	}
	return cells, size
}

func (t wTable) gridSum() int {
	s := 0
	for _, c := range t.Grid {
		s += c.W
	}
	return s
}

func parseDOCX(t *testing.T, md string) wDoc {
	t.Helper()
	b, err := DOCX(md)
	require.NoError(t, err)
	var d wDoc
	require.NoError(t, xml.Unmarshal([]byte(documentXML(t, b)), &d))
	require.NotEmpty(t, d.Tables, "no table in the document")
	require.Positive(t, d.textWidth())
	return d
}

// The risk register's text columns get the room and its numeric columns
// only what their header word needs. Before, every column was sized from
// its longest word at a generous 0.75 em a character, so Rank, Probability,
// Impact and Score (3,949 twips for single digits) took more than the risk
// and its mitigation together (3,360), and the widths added up to 9,969.
// Then the header word "Probability" alone still took 1,172 twips for a
// single digit: the columns are P and I, which the scoring rule above the
// table names.
func TestDOCXRiskRegisterColumnsFollowTheirContent(t *testing.T) {
	t.Parallel()
	md := generateExample(t, "risk_register").Markdown
	require.Contains(t, md, "probability (P) and impact (I) are rated 1–5; score = P × I", "the scoring rule names the columns")
	d := parseDOCX(t, md)
	tbl := d.Tables[0]
	head, size := tbl.header()
	require.Equal(t, []string{"Rank", "Risk", "P", "I", "Score", "Band", "Owner", "Mitigation"}, head)
	require.Len(t, tbl.Grid, len(head))
	width := map[string]int{}
	for i, h := range head {
		width[h] = tbl.Grid[i].W
	}

	assert.Equal(t, d.textWidth(), tbl.gridSum(), "the columns fill the text width exactly")
	assert.Equal(t, d.textWidth(), tbl.Width.W)
	for _, c := range []string{"P", "I"} {
		assert.LessOrEqual(t, width[c], width["Score"], "%s is no wider than Score", c)
		assert.Less(t, float64(width[c]), textWidth("Impact", size)+2*float64(cellMargin(size)), "%s is narrower than its old header word", c)
	}
	numbers := []string{"Rank", "P", "I", "Score"}
	texts := []string{"Risk", "Mitigation"}
	for _, tx := range texts {
		for _, n := range numbers {
			assert.Greater(t, width[tx], width[n], "%s is wider than %s", tx, n)
		}
	}
	assert.Greater(t, width["Risk"]+width["Mitigation"], width["Rank"]+width["P"]+width["I"]+width["Score"],
		"the risk and its mitigation get more room than four columns of digits")
	assert.Greater(t, width["Mitigation"], width["Risk"], "the longer text gets the wider column")
}

// Every table of every document type fills the text width, and no column
// is narrower than the longest word of its header (headers wrap between
// words and after hyphens, never elsewhere in a word).
func TestDOCXTablesFitTheirHeaderWords(t *testing.T) {
	t.Parallel()
	for _, k := range Keys() {
		t.Run(k, func(t *testing.T) {
			t.Parallel()
			md, err := os.ReadFile(filepath.Join("testdata", "golden", k+".md"))
			require.NoError(t, err)
			d := parseDOCX(t, string(md))
			for i, tbl := range d.Tables {
				assert.Equal(t, d.textWidth(), tbl.gridSum(), "table %d", i)
				head, size := tbl.header()
				require.Contains(t, []uint64{8, 9}, size, "table %d", i)
				require.Len(t, tbl.Grid, len(head), "table %d", i)
				for c, h := range head {
					for word := range strings.FieldsSeq(h) {
						for part := range strings.SplitAfterSeq(word, "-") {
							assert.GreaterOrEqual(t, float64(tbl.Grid[c].W), textWidth(part, size)+2*float64(cellMargin(size)),
								"table %d, column %q: %q fits on a line", i, h, part)
						}
					}
				}
			}
		})
	}
}

// A table's edges sit on the page's margins: tblInd, which Word (in the
// 2010 compatibility mode of godocx's template) and LibreOffice measure to
// the first cell's text, equals the table's own left cell margin, so the
// table's left edge is on the margin and its right edge, a text width
// further, on the right margin. Before, the indent was the style's 0 and
// the table hung 108 twips into the left margin. A table set at 9 pt keeps
// Word's cell margins (108 twips); a crowded one, set at 8 pt, has 72.
func TestDOCXTableEdgesOnTheMargins(t *testing.T) {
	t.Parallel()
	d := parseDOCX(t, generateExample(t, "project_charter").Markdown)
	r := parseDOCX(t, generateExample(t, "raci_matrix").Markdown)
	for i, tbl := range append(d.Tables, r.Tables...) {
		require.NotNil(t, tbl.Indent, "table %d has its own tblInd", i)
		require.NotNil(t, tbl.MarginLeft, "table %d has its own cell margins", i)
		require.NotNil(t, tbl.MarginRight, "table %d has its own cell margins", i)
		assert.Equal(t, "dxa", tbl.Indent.Type, "table %d", i)
		assert.Equal(t, "dxa", tbl.MarginLeft.Type, "table %d", i)
		assert.Equal(t, tbl.MarginLeft.W, tbl.Indent.W, "table %d: indent = left cell margin", i)
		assert.Equal(t, tbl.MarginLeft.W, tbl.MarginRight.W, "table %d", i)
		_, size := tbl.header()
		want := map[uint64]int{9: 108, 8: 72}[size] // Word's own margin, unless the table is crowded
		assert.Equal(t, want, tbl.MarginLeft.W, "table %d at %d pt", i, size)
		assert.Equal(t, d.textWidth(), tbl.Width.W, "table %d", i)
		assert.Equal(t, d.textWidth(), tbl.gridSum(), "table %d", i)
	}
}

func TestShareColumns(t *testing.T) {
	t.Parallel()
	const width = 9972
	long := "Profile the data in week 2 and agree reconciliation rules with claims operations"
	tests := []struct {
		name string
		head []string
		body [][]string
		size uint64
		// check looks at the widths beyond what every table must hold.
		check func(t *testing.T, w []uint64, need []float64)
	}{
		{
			name: "numbers keep their need, text takes the rest",
			head: []string{"#", "Probability", "Description", "Score"},
			body: [][]string{{"1", "3", long, "15"}, {"2", "4", "Short text that still wraps at its need", "12"}},
			size: 9,
			check: func(t *testing.T, w []uint64, need []float64) {
				for _, i := range []int{0, 1, 3} {
					assert.InDelta(t, need[i], float64(w[i]), 1, "column %d", i)
				}
				assert.Greater(t, w[2], w[0]+w[1]+w[3])
			},
		},
		{
			name: "two text columns share by their longest cell",
			head: []string{"Risk", "Mitigation"},
			body: [][]string{{"Legacy claim history is inconsistent", long}},
			size: 9,
			check: func(t *testing.T, w []uint64, _ []float64) {
				ratio := float64(w[1]) / float64(w[0])
				want := textWidth(long, 9) / textWidth("Legacy claim history is inconsistent", 9)
				assert.InDelta(t, want, ratio, 0.01)
			},
		},
		{
			name: "a header wraps between its words",
			head: []string{"Deliverable", "Effort (days)"},
			body: [][]string{{long, "15"}},
			size: 9,
			check: func(t *testing.T, w []uint64, _ []float64) {
				assert.Less(t, float64(w[1]), textWidth("Effort (days)", 9)+2*float64(cellMargin(9)))
				assert.GreaterOrEqual(t, float64(w[1]), textWidth("(days)", 9)+2*float64(cellMargin(9)))
			},
		},
		{
			name: "nothing wraps: columns grow alike",
			head: []string{"Owner", "Risks", "Share"},
			body: [][]string{{"Marco Rossi", "2", "27.6%"}},
			size: 9,
			check: func(t *testing.T, w []uint64, need []float64) {
				for i := range w {
					// rounding down gives up to a twip a column to the widest one
					assert.InDelta(t, float64(width)*need[i]/sum(need), float64(w[i]), float64(len(w)), "column %d", i)
				}
			},
		},
		{
			name: "crowded at 9 pt: 8 pt",
			head: []string{"Rank", "Risk", "Probability", "Impact", "Score", "Band", "Owner", "Mitigation"},
			body: [][]string{
				{"1", "Core claims system API cannot handle portal load at peak", "3", "5", "15", "High", "Contact-centre team leads", long},
				{"2", "Accessibility audit requires journey redesign", "2", "2", "4", "Medium", "Priya Natarajan", "Use the accessible design system components"},
			},
			size: 8,
		},
		{
			name: "too wide even at 8 pt: the widest columns give up room",
			head: []string{"ID", "Internationalisation", "Responsibilities", "Accountabilities", "Characterisation", "Telecommunications", "Misunderstandings"},
			body: [][]string{{"1", "x", "x", "x", "x", "x", "x"}},
			size: 8,
			check: func(t *testing.T, w []uint64, need []float64) {
				assert.InDelta(t, need[0], float64(w[0]), 1, "the narrow column keeps its need")
				assert.Less(t, float64(w[1]), need[1])
			},
		},
		{
			name: "ragged rows",
			head: []string{"A", "B"},
			body: [][]string{{"1"}, {"1", "2", "a third cell"}},
			size: 9,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w, size := shareColumns(tt.head, tt.body, width)
			assert.Equal(t, tt.size, size)
			n := len(tt.head)
			for _, r := range tt.body {
				n = max(n, len(r))
			}
			require.Len(t, w, n)
			total := 0
			for _, v := range w {
				total += int(v)
			}
			assert.Equal(t, width, total, "the widths add up to the text width")
			need, _ := columnNeeds(tt.head, tt.body, n, size)
			if sum(need) <= width {
				for i := range w {
					assert.GreaterOrEqual(t, float64(w[i])+1, need[i], "column %d gets its need", i)
				}
			}
			if tt.check != nil {
				tt.check(t, w, need)
			}
		})
	}
	w, size := shareColumns(nil, nil, width)
	assert.Empty(t, w)
	assert.Equal(t, uint64(9), size)
}
