// Package loopback says which hosts are loopback hosts: the only ones the SDK reaches over
// plain http, and the only ones the fake Atlas listens on unless told otherwise.
package loopback

import (
	"net"
	"strings"
)

// Host reports whether host is localhost, an address in 127.0.0.0/8, or ::1.
func Host(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
