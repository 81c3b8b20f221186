package accounts_test

import (
	"crypto/tls"
	"net/http"
	"net/http/cookiejar"
)

type tlsState = tls.ConnectionState

func newJar() http.CookieJar {
	j, _ := cookiejar.New(nil)
	return j
}
