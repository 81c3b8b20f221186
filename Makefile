# Fayun: `make run` starts the service, `make test` runs every check.
export PATH := /usr/local/go/bin:$(PATH)
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: run test setup build vet lint bench

run: setup
	scripts/run

test: setup vet lint
	go test -race -count=1 -timeout 40m ./...

setup:
	@scripts/setup

build:
	go build -o var/fayun ./cmd/fayun

vet:
	go vet ./...

lint:
	go run $(STATICCHECK) ./...

bench:
	go test -run '^$$' -bench . -benchmem ./...
