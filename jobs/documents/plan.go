package documents

import "slices"

// Plan picks the documents a job writes, in dependency order: the chosen
// ones; with includeDependents, every document that depends on them,
// transitively; and every dependency that has no version yet (have reports
// whether the project has one). Dependencies that have a version are not
// rewritten: the job reads their latest version. No chosen documents means
// the whole catalog.
func Plan(chosen []string, includeDependents bool, have func(docType string) bool) ([]string, error) {
	if len(chosen) == 0 {
		return Keys(), nil
	}
	var unknown []string
	want := make([]bool, len(catalog))
	for _, k := range chosen {
		i, ok := catalogIndex[k]
		if !ok {
			if !slices.Contains(unknown, k) {
				unknown = append(unknown, k)
			}
			continue
		}
		want[i] = true
	}
	if len(unknown) > 0 {
		return nil, &UnknownTypeError{Unknown: unknown, Valid: Keys()}
	}
	if includeDependents {
		// The catalog lists every document after its dependencies, so one
		// pass in order reaches the transitive dependents.
		for i, d := range catalog {
			for _, dep := range d.DependsOn {
				if want[catalogIndex[dep]] {
					want[i] = true
				}
			}
		}
	}
	var visit func(i int)
	visit = func(i int) {
		for _, dep := range catalog[i].DependsOn {
			j := catalogIndex[dep]
			if !want[j] && !have(dep) {
				want[j] = true
				visit(j)
			}
		}
	}
	for i := range catalog {
		if want[i] {
			visit(i)
		}
	}
	out := make([]string, 0, len(catalog))
	for i, ok := range want {
		if ok {
			out = append(out, catalog[i].Key)
		}
	}
	return out, nil
}
