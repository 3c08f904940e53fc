// Package loopback tells loopback hosts and addresses from others, for the places that must
// refuse to talk plain HTTP, or to listen, beyond this machine.
package loopback

import (
	"net"
	"strings"
)

// Host reports whether host is localhost, in 127.0.0.0/8 or ::1. host is a bare host, as
// url.URL.Hostname returns it, without brackets or port.
func Host(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Addr reports whether addr, a host:port as net.Listen takes it, names a loopback host. An
// empty host means every interface, which is not loopback; so is an addr without a port.
func Addr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	return err == nil && Host(host)
}
