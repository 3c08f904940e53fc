package atlas_test

import (
	"go/ast"
	"go/doc"
	"go/parser"
	"go/token"
	"io"
	"os"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/atlas-exports/atlas/atlastest"
)

// runnableExamples are the examples go test runs (those with an Output comment), by the name
// go/doc gives them. TestExamplesSurviveSparseResponses checks that this list is complete.
var runnableExamples = map[string]func(){
	"":                            Example,
	"NewClient":                   ExampleNewClient,
	"WithDigest":                  ExampleWithDigest,
	"WithRetry":                   ExampleWithRetry,
	"Client_Do":                   ExampleClient_Do,
	"APIError":                    ExampleAPIError,
	"InvalidArgumentError":        ExampleInvalidArgumentError,
	"ExportBucketsService_Create": ExampleExportBucketsService_Create,
	"SnapshotsService_Latest":     ExampleSnapshotsService_Latest,
	"ExportsService_Create":       ExampleExportsService_Create,
	"ExportsService_Ensure":       ExampleExportsService_Ensure,
	"ExportsService_Get":          ExampleExportsService_Get,
	"ExportsService_List":         ExampleExportsService_List,
	"ExportsService_All":          ExampleExportsService_All,
	"ExportsService_Wait":         ExampleExportsService_Wait,
	"ExportsService_Wait_failed":  ExampleExportsService_Wait_failed,
}

// TestExamplesSurviveSparseResponses runs every example against fakes that leave out every
// optional field (atlastest.WithSparseResponses): a nil ExportStatus or StateReason, no
// timestamps, no links or counts. Real Atlas may answer so, and an example is code users
// copy. An example that dereferences an absent field panics here; one that fails calls
// log.Fatal, which ends the test binary. Their output differs from the documented one (no
// progress figures), so only completion is checked.
func TestExamplesSurviveSparseResponses(t *testing.T) {
	fset := token.NewFileSet()
	var files []*ast.File
	for _, name := range []string{"example_test.go", "example_lifecycle_test.go"} {
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		require.NoError(t, err)
		files = append(files, f)
	}
	var names []string
	for _, ex := range doc.Examples(files...) {
		if ex.Output != "" || ex.EmptyOutput {
			names = append(names, ex.Name)
		}
	}
	require.ElementsMatch(t, names, mapKeys(runnableExamples), "runnableExamples lists every example go test runs")

	fakeOptions = []atlastest.Option{atlastest.WithSparseResponses()}
	t.Cleanup(func() { fakeOptions = nil })
	for _, name := range names {
		t.Run("Example"+name, func(t *testing.T) {
			out := captureStdout(t, runnableExamples[name])
			assert.NotEmpty(t, out, "the example ran to its end and printed")
		})
	}
}

func mapKeys(m map[string]func()) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// captureStdout runs f with os.Stdout going to a pipe and returns what it printed. A panic in
// f ends the test binary, which is the failure this file looks for.
func captureStdout(t *testing.T, f func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	require.NoError(t, err)
	defer r.Close()
	done := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(r)
		done <- b
	}()
	saved := os.Stdout
	os.Stdout = w
	f()
	os.Stdout = saved
	require.NoError(t, w.Close())
	out := <-done
	t.Logf("%s", out)
	return string(out)
}
