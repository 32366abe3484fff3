package lint

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// TestSpecCopies: docs/spec holds verbatim copies of the product contract,
// whose master is ../shared/spec next to the repository (README.md). When
// that directory is there, as in CI, every copy must equal its master.
func TestSpecCopies(t *testing.T) {
	root := moduleRoot(t)
	shared := filepath.Join(root, "..", "shared", "spec")
	if _, err := os.Stat(shared); err != nil {
		t.Skipf("%s is absent (%v): the copies in docs/spec are not compared; CI has it", shared, err)
	}
	copies, err := filepath.Glob(filepath.Join(root, "docs", "spec", "*.md"))
	if err != nil || len(copies) == 0 {
		t.Fatalf("no docs/spec/*.md (%v)", err)
	}
	for _, c := range copies {
		name := filepath.Base(c)
		got, err := os.ReadFile(c)
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join(shared, name))
		if err != nil {
			t.Errorf("docs/spec/%s: no master in %s (%v)", name, shared, err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("docs/spec/%s differs from %s: copy it again", name, filepath.Join(shared, name))
		}
	}
}

// specFile matches a citation of a spec file, and specSection one that
// names a section in quotes right after it: `urls.md "Exact forms"`,
// `keys.md, "Key delivery"`, `keys.md ("Key delivery")`, `quality.md's
// "Fast"`.
var (
	specFile    = regexp.MustCompile(`\b(urls|keys|quality|assets|live|players|exchange)\.md\b`)
	specSection = regexp.MustCompile(`\b(urls|keys|quality|assets|live|players|exchange)\.md(?:'s)?,?\s*\(?"([^"]+)"`)
)

// TestSpecCitations: every spec file that a comment or string of the
// module's Go code cites is in docs/spec, and every section it names in
// quotes is a heading, a bold label or a "Label:" lead-in line of that
// file (case aside; a heading may go on after the name, "Fast: measured
// …").
func TestSpecCitations(t *testing.T) {
	root := moduleRoot(t)
	sections := map[string][]string{} // spec file → its section names
	cited := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules" || d.Name() == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		for _, c := range citations(t, path) {
			cited++
			for _, m := range specFile.FindAllStringSubmatch(c.text, -1) {
				if _, ok := sections[m[1]]; ok {
					continue
				}
				b, err := os.ReadFile(filepath.Join(root, "docs", "spec", m[1]+".md"))
				if err != nil {
					t.Errorf("%s:%d cites %s.md, which is not in docs/spec", rel, c.line, m[1])
					sections[m[1]] = nil
					continue
				}
				sections[m[1]] = sectionNames(b)
			}
			for _, m := range specSection.FindAllStringSubmatch(c.text, -1) {
				if names := sections[m[1]]; names != nil && !hasSection(names, m[2]) {
					t.Errorf("%s:%d cites %s.md %q, which has no such heading or label", rel, c.line, m[1], m[2])
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if cited == 0 {
		t.Fatal("no spec citations found in the Go code: is the pattern stale?")
	}
	t.Logf("%d comments and strings cite the spec", cited)
}

// citation is the text of one comment group (its lines joined with
// spaces, so that a citation may wrap) or string literal that names a
// spec file, and the line it starts on.
type citation struct {
	text string
	line int
}

func citations(t *testing.T, path string) []citation {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	var out []citation
	add := func(text string, pos token.Pos) {
		if specFile.MatchString(text) {
			out = append(out, citation{text, fset.Position(pos).Line})
		}
	}
	for _, cg := range f.Comments {
		var lines []string
		for _, c := range cg.List {
			s := strings.TrimPrefix(c.Text, "//")
			s = strings.TrimSuffix(strings.TrimPrefix(s, "/*"), "*/")
			lines = append(lines, strings.TrimSpace(s))
		}
		add(strings.Join(strings.Fields(strings.Join(lines, " ")), " "), cg.Pos())
	}
	ast.Inspect(f, func(n ast.Node) bool {
		if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
			if s, err := strconv.Unquote(lit.Value); err == nil {
				add(s, lit.Pos())
			}
		}
		return true
	})
	return out
}

var boldLabel = regexp.MustCompile(`\*\*([^*]+)\*\*`)

// sectionNames lists what a citation may name in a spec file: headings,
// bold labels, and lines that are just "Label:".
func sectionNames(md []byte) []string {
	var names []string
	for _, line := range strings.Split(string(md), "\n") {
		line = strings.TrimSpace(line)
		if h, ok := strings.CutPrefix(line, "#"); ok {
			names = append(names, strings.TrimSpace(strings.TrimLeft(h, "#")))
		}
		for _, m := range boldLabel.FindAllStringSubmatch(line, -1) {
			names = append(names, strings.TrimRight(m[1], ":. "))
		}
		if l, ok := strings.CutSuffix(line, ":"); ok && !strings.ContainsAny(l, ":.") && len(l) < 60 {
			names = append(names, strings.TrimLeft(l, "-* "))
		}
	}
	return names
}

// hasSection reports whether name is one of names, or begins one of them
// and ends at a word boundary ("Fast" names "Fast: measured by …").
func hasSection(names []string, name string) bool {
	for _, n := range names {
		if len(n) < len(name) || !strings.EqualFold(n[:len(name)], name) {
			continue
		}
		if len(n) == len(name) {
			return true
		}
		if r, _ := utf8.DecodeRuneInString(n[len(name):]); !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			return true
		}
	}
	return false
}
