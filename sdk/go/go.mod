module github.com/socklet/socklet/sdk/go

go 1.25
