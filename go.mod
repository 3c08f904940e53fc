module github.com/atlas-exports/atlas

go 1.26.8
