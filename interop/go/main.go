// gopeer: a TLS 1.3 client and server on Go's crypto/tls, the standard
// library alone, for cloaktls's interoperability tests (the hybrid
// post-quantum groups of RFC 10024 above all). It prints what it
// negotiated as one line, "negotiated version=... group=... hrr=...", so a
// test can compare it with what cloaktls says.
//
//	gopeer server -cert C -key K [-groups G,...] [-clientca CA]
//	gopeer client -connect HOST:PORT -ca CA [-servername N] [-groups G,...] [-cert C -key K]
//
// The server listens on 127.0.0.1:0, prints "listening on 127.0.0.1:PORT",
// and for each connection prints its line and echoes one line back
// prefixed with "echo: ". The client sends "ping from go", prints the
// reply, and exits non-zero on any failure.
package main

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"strings"
	"time"
)

var groupNames = map[string]tls.CurveID{
	"X25519MLKEM768":     tls.X25519MLKEM768,
	"SecP256r1MLKEM768":  tls.SecP256r1MLKEM768,
	"SecP384r1MLKEM1024": tls.SecP384r1MLKEM1024,
	"x25519":             tls.X25519,
	"secp256r1":          tls.CurveP256,
	"secp384r1":          tls.CurveP384,
	"secp521r1":          tls.CurveP521,
}

// groupName is the IANA name, as cloaktls prints it.
func groupName(id tls.CurveID) string {
	for name, v := range groupNames {
		if v == id {
			return name
		}
	}
	return fmt.Sprintf("0x%04x", uint16(id))
}

func parseGroups(list string) ([]tls.CurveID, error) {
	if list == "" {
		return nil, nil
	}
	var out []tls.CurveID
	for _, name := range strings.Split(list, ",") {
		id, ok := groupNames[name]
		if !ok {
			return nil, fmt.Errorf("unknown group %q", name)
		}
		out = append(out, id)
	}
	return out, nil
}

func describe(st tls.ConnectionState) string {
	return fmt.Sprintf("negotiated version=%s group=%s hrr=%t resumed=%t alpn=%q",
		tls.VersionName(st.Version), groupName(st.CurveID), st.HelloRetryRequest,
		st.DidResume, st.NegotiatedProtocol)
}

func pool(file string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	p := x509.NewCertPool()
	if !p.AppendCertsFromPEM(pem) {
		return nil, errors.New("no certificate in " + file)
	}
	return p, nil
}

func server(args []string) error {
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	cert := fs.String("cert", "", "certificate chain (PEM)")
	key := fs.String("key", "", "private key (PEM)")
	groups := fs.String("groups", "", "key exchange groups, comma-separated (default: Go's)")
	clientCA := fs.String("clientca", "", "require a client certificate from this CA")
	if err := fs.Parse(args); err != nil {
		return err
	}
	pair, err := tls.LoadX509KeyPair(*cert, *key)
	if err != nil {
		return err
	}
	cfg := &tls.Config{
		Certificates: []tls.Certificate{pair},
		MinVersion:   tls.VersionTLS12,
		NextProtos:   []string{"h2", "http/1.1"},
	}
	if cfg.CurvePreferences, err = parseGroups(*groups); err != nil {
		return err
	}
	if *clientCA != "" {
		if cfg.ClientCAs, err = pool(*clientCA); err != nil {
			return err
		}
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Printf("listening on %s\n", ln.Addr())
	for {
		conn, err := ln.Accept()
		if err != nil {
			return err
		}
		go serve(tls.Server(conn, cfg))
	}
}

func serve(c *tls.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	if err := c.Handshake(); err != nil {
		fmt.Printf("handshake failed: %v\n", err)
		return
	}
	fmt.Println(describe(c.ConnectionState()))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		fmt.Printf("read failed: %v\n", err)
		return
	}
	fmt.Fprintf(c, "echo: %s", line)
}

func client(args []string) error {
	fs := flag.NewFlagSet("client", flag.ContinueOnError)
	connect := fs.String("connect", "", "host:port")
	ca := fs.String("ca", "", "trusted CA (PEM)")
	name := fs.String("servername", "localhost", "server name to send and verify")
	groups := fs.String("groups", "", "key exchange groups, comma-separated (default: Go's)")
	cert := fs.String("cert", "", "client certificate chain (PEM)")
	key := fs.String("key", "", "client private key (PEM)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	roots, err := pool(*ca)
	if err != nil {
		return err
	}
	cfg := &tls.Config{RootCAs: roots, ServerName: *name, NextProtos: []string{"h2"}}
	if cfg.CurvePreferences, err = parseGroups(*groups); err != nil {
		return err
	}
	if *cert != "" {
		pair, err := tls.LoadX509KeyPair(*cert, *key)
		if err != nil {
			return err
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	d := &net.Dialer{Timeout: 10 * time.Second}
	c, err := tls.DialWithDialer(d, "tcp", *connect, cfg)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	fmt.Println(describe(c.ConnectionState()))
	if _, err := fmt.Fprintf(c, "ping from go\n"); err != nil {
		return err
	}
	reply, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	fmt.Printf("reply: %s", reply)
	return nil
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: gopeer server|client [options]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "server":
		err = server(os.Args[2:])
	case "client":
		err = client(os.Args[2:])
	default:
		err = fmt.Errorf("unknown mode %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gopeer:", err)
		os.Exit(1)
	}
}
