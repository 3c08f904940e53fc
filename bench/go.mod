module github.com/atlas-exports/atlas/bench

go 1.26.0

require (
	github.com/atlas-exports/atlas v0.0.0
	github.com/mongodb-forks/digest v1.1.0
	go.mongodb.org/atlas v0.38.0
	golang.org/x/time v0.16.0
)

require (
	github.com/gofrs/flock v0.13.2 // indirect
	github.com/google/go-querystring v1.1.0 // indirect
	github.com/icholy/digest v1.2.0 // indirect
	golang.org/x/oauth2 v0.38.0 // indirect
	golang.org/x/sys v0.49.0 // indirect
)

replace github.com/atlas-exports/atlas => ../
