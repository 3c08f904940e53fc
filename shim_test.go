package atlas

import "io"

func readBody(r io.Reader, length, limit int64) ([]byte, error) {
	var b bodyBuffers
	return b.read(b.get(), r, length, limit, false)
}

func hasNextPage(p *ExportJobPage, perPage int) bool {
	return morePages(len(p.Results), perPage, 1, p.TotalCount, p.Links)
}
