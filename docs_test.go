package atlas_test

import (
	"bufio"
	"context"
	"fmt"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The Go blocks of README.md and docs/*.md must compile: a reader copies them. Each block
// becomes a package of its own in a temporary module that requires this one (replaced by this
// checkout), and `go vet` type-checks them all in one run. The rule for a block:
//
//   - one that starts with "package" is a whole file, compiled as written;
//   - one that parses as a file's declarations (func, type, var, const) once a package clause
//     is put before it gets that clause and the imports its qualified names use;
//   - any other block is statements: it becomes the body of a function with ctx
//     (context.Context), client (*atlas.Client) and groupID (string) in scope, and gets the
//     imports its qualified names use.
//
// Imports are found by the package names a block uses (fmt., atlas., require., ...), from
// the list below; a block using another package must be a whole file.

// docImports are the packages a block may use without writing its imports.
var docImports = map[string]string{
	"context": "context", "errors": "errors", "fmt": "fmt", "log": "log", "slog": "log/slog",
	"http": "net/http", "url": "net/url", "os": "os", "time": "time", "testing": "testing",
	"atlas": "github.com/atlas-exports/atlas", "atlastest": "github.com/atlas-exports/atlas/atlastest",
	"require": "github.com/stretchr/testify/require", "assert": "github.com/stretchr/testify/assert",
	"oauth2": "golang.org/x/oauth2", "rate": "golang.org/x/time/rate",
}

// docBlock is one fenced Go block and where it starts.
type docBlock struct {
	file string
	line int
	code string
}

func TestDocsGoBlocksCompile(t *testing.T) {
	files, err := filepath.Glob("docs/*.md")
	require.NoError(t, err)
	files = append([]string{"README.md"}, files...)
	var blocks []docBlock
	for _, f := range files {
		blocks = append(blocks, goBlocks(t, f)...)
	}
	require.NotEmpty(t, blocks)

	root, err := filepath.Abs(".")
	require.NoError(t, err)
	mod := t.TempDir()
	writeDocModule(t, mod, root)
	for i, b := range blocks {
		dir := filepath.Join(mod, fmt.Sprintf("b%02d", i))
		require.NoError(t, os.Mkdir(dir, 0o755))
		// A line directive before the block maps errors back to the Markdown file and line.
		src := docFile(fmt.Sprintf("//line %s:%d\n", filepath.Join(root, b.file), b.line)+b.code, fmt.Sprintf("b%02d", i))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "block.go"), []byte(src), 0o644))
	}

	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	goBin, err := exec.LookPath("go")
	require.NoError(t, err, "the go command compiles the blocks")
	cmd := exec.CommandContext(ctx, goBin, "vet", "./...")
	cmd.Dir = mod
	// Offline (no network beyond loopback in tests): every module comes from the module cache,
	// which holds this module's dependencies once its tests have built.
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOSUMDB=off", "GOWORK=off")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "a Go block of the docs does not compile (files b<N>/block.go of %s):\n%s", mod, out)
}

// goBlocks returns the ```go blocks of a Markdown file.
func goBlocks(t *testing.T, path string) []docBlock {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var (
		blocks []docBlock
		cur    *docBlock
		sc     = bufio.NewScanner(f)
		n      int
	)
	for sc.Scan() {
		n++
		line := sc.Text()
		switch {
		case cur == nil && strings.TrimSpace(line) == "```go":
			cur = &docBlock{file: path, line: n + 1}
		case cur != nil && strings.TrimSpace(line) == "```":
			blocks = append(blocks, *cur)
			cur = nil
		case cur != nil:
			cur.code += line + "\n"
		}
	}
	require.NoError(t, sc.Err())
	require.Nil(t, cur, "%s: a ```go block is not closed", path)
	return blocks
}

// docFile turns a block, after its line directive, into a Go file by the rule above.
func docFile(code, pkg string) string {
	_, body, _ := strings.Cut(code, "\n")
	if strings.HasPrefix(body, "package ") {
		return code
	}
	_, err := parser.ParseFile(token.NewFileSet(), "", "package p\n"+body, parser.SkipObjectResolution)
	statements := err != nil
	used := map[string]bool{}
	if statements {
		used["context"], used["atlas"] = true, true
	}
	for name := range docImports {
		if regexp.MustCompile(`\b` + name + `\.`).MatchString(code) {
			used[name] = true
		}
	}
	var imports []string
	for name := range used {
		imports = append(imports, fmt.Sprintf("\t%q", docImports[name]))
	}
	slices.Sort(imports)
	var b strings.Builder
	fmt.Fprintf(&b, "package %s\n\nimport (\n%s\n)\n", pkg, strings.Join(imports, "\n"))
	if statements {
		fmt.Fprintf(&b, "\nfunc _(ctx context.Context, client *atlas.Client, groupID string) {\n%s}\n", code)
	} else {
		b.WriteString("\n" + code)
	}
	return b.String()
}

// writeDocModule writes the go.mod and go.sum of a module that requires this one, replaced by
// root, with this module's requirements. Blocks do not use redistoken: its dependencies are
// not this module's, so a fresh clone would not have them, and its example compiles with its
// own module's tests instead.
func writeDocModule(t *testing.T, dir, root string) {
	t.Helper()
	requires := []string{"github.com/atlas-exports/atlas v0.0.0"}
	replaces := []string{"github.com/atlas-exports/atlas => " + root}
	var sums []byte
	for _, m := range []struct{ path, dir string }{
		{"", root},
	} {
		gomod, err := os.ReadFile(filepath.Join(m.dir, "go.mod"))
		if os.IsNotExist(err) {
			continue
		}
		require.NoError(t, err)
		if m.path != "" {
			requires = append(requires, m.path+" v0.0.0")
			replaces = append(replaces, m.path+" => "+m.dir)
		}
		requires = append(requires, requireLines(string(gomod))...)
		sum, err := os.ReadFile(filepath.Join(m.dir, "go.sum"))
		if err == nil {
			sums = append(sums, sum...)
		}
	}
	gomod := "module docblocks\n\ngo 1.26\n\nrequire (\n\t" + strings.Join(requires, "\n\t") +
		"\n)\n\nreplace (\n\t" + strings.Join(replaces, "\n\t") + "\n)\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.sum"), sums, 0o644))
}

// requireLines returns the "path version" requirements of a go.mod, other than the modules
// of this repository.
func requireLines(gomod string) []string {
	var out []string
	in := false
	for _, line := range strings.Split(gomod, "\n") {
		line = strings.TrimSpace(strings.SplitN(line, "//", 2)[0])
		switch {
		case line == "require (":
			in = true
			continue
		case in && line == ")":
			in = false
			continue
		case strings.HasPrefix(line, "require "):
			line = strings.TrimPrefix(line, "require ")
		case !in:
			continue
		}
		if f := strings.Fields(line); len(f) == 2 && !strings.HasPrefix(f[0], "github.com/atlas-exports/atlas") {
			out = append(out, f[0]+" "+f[1])
		}
	}
	return out
}

// The README teaches in one screen: the rest goes to docs/.
func TestReadmeFitsOnAScreen(t *testing.T) {
	b, err := os.ReadFile("README.md")
	require.NoError(t, err)
	require.LessOrEqual(t, strings.Count(string(b), "\n"), 250, "README.md lines")
}
