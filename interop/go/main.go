// gopeer: a TLS 1.3 client and server on Go's crypto/tls, the standard
// library alone, for cloaktls's interoperability tests (the hybrid
// post-quantum groups of RFC 10024 above all). It prints what it
// negotiated as one line, "negotiated version=... group=... hrr=...", so a
// test can compare it with what cloaktls says.
//
//	gopeer server -cert C -key K [-groups G,...] [-clientca CA]
//	              [-ech-key FILE]... [-pubcert C -pubkey K]
//	gopeer client -connect HOST:PORT -ca CA [-servername N] [-groups G,...] [-cert C -key K]
//	              [-ech BASE64|@FILE [-ech-retry]]
//
// Encrypted Client Hello (RFC 9849): -ech-key loads a PEM ECH file
// (draft-farrell-tls-pemesni: a PKCS#8 X25519 key and an ECHCONFIG block)
// whose first config the server decrypts with and sends as a retry
// config; -pubcert/-pubkey is the certificate for the public name. The
// client offers the ECHConfigList given in base64 (or @FILE, a PEM ECH
// file), and with -ech-retry retries once with the server's retry configs
// after a rejection, printing "ech rejected retry=BASE64" first.
//
// The server listens on 127.0.0.1:0, prints "listening on 127.0.0.1:PORT",
// and for each connection prints its line and echoes one line back
// prefixed with "echo: ". The client sends "ping from go", prints the
// reply, and exits non-zero on any failure.
package main

import (
	"bufio"
	"crypto/ecdh"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
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
	return fmt.Sprintf("negotiated version=%s group=%s hrr=%t resumed=%t alpn=%q ech=%t sni=%s",
		tls.VersionName(st.Version), groupName(st.CurveID), st.HelloRetryRequest,
		st.DidResume, st.NegotiatedProtocol, st.ECHAccepted, st.ServerName)
}

// list is a repeatable string flag.
type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(v string) error { *l = append(*l, v); return nil }

// echFile reads a PEM ECH file: the raw X25519 private key (nil if the
// file has none) and the ECHConfigList.
func echFile(file string) ([]byte, []byte, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, nil, err
	}
	var key, configs []byte
	for {
		block, rest := pem.Decode(data)
		if block == nil {
			break
		}
		switch block.Type {
		case "PRIVATE KEY":
			k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
			if err != nil {
				return nil, nil, err
			}
			ek, ok := k.(*ecdh.PrivateKey)
			if !ok {
				return nil, nil, errors.New("the ECH key is not an X25519 key")
			}
			key = ek.Bytes()
		case "ECHCONFIG":
			configs = block.Bytes
		}
		data = rest
	}
	if configs == nil {
		return nil, nil, errors.New("no ECHCONFIG block in " + file)
	}
	return key, configs, nil
}

// echKey is the server key of a PEM ECH file: its list's first config.
func echKey(file string) (tls.EncryptedClientHelloKey, error) {
	key, configs, err := echFile(file)
	if err != nil {
		return tls.EncryptedClientHelloKey{}, err
	}
	if key == nil || len(configs) < 6 {
		return tls.EncryptedClientHelloKey{}, errors.New("no key or no config in " + file)
	}
	first := configs[2:]
	n := 4 + (int(first[2])<<8 | int(first[3]))
	if n > len(first) {
		return tls.EncryptedClientHelloKey{}, errors.New("a truncated ECHConfig in " + file)
	}
	return tls.EncryptedClientHelloKey{Config: first[:n], PrivateKey: key, SendAsRetry: true}, nil
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
	var echKeys list
	fs.Var(&echKeys, "ech-key", "a PEM ECH file to decrypt ECH with (repeatable)")
	pubCert := fs.String("pubcert", "", "certificate for the ECH public name (PEM)")
	pubKey := fs.String("pubkey", "", "its private key (PEM)")
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
	if *pubCert != "" {
		pub, err := tls.LoadX509KeyPair(*pubCert, *pubKey)
		if err != nil {
			return err
		}
		cfg.Certificates = append(cfg.Certificates, pub)
	}
	for _, f := range echKeys {
		k, err := echKey(f)
		if err != nil {
			return err
		}
		cfg.EncryptedClientHelloKeys = append(cfg.EncryptedClientHelloKeys, k)
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
	ech := fs.String("ech", "", "ECHConfigList to offer: base64, or @FILE (a PEM ECH file)")
	echRetry := fs.Bool("ech-retry", false, "after a rejection with retry configs, retry once with them")
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
	if *ech != "" {
		var configs []byte
		if strings.HasPrefix(*ech, "@") {
			_, configs, err = echFile((*ech)[1:])
		} else {
			configs, err = base64.StdEncoding.DecodeString(*ech)
		}
		if err != nil {
			return err
		}
		cfg.EncryptedClientHelloConfigList = configs
		cfg.MinVersion = tls.VersionTLS13
	}
	d := &net.Dialer{Timeout: 10 * time.Second}
	c, err := tls.DialWithDialer(d, "tcp", *connect, cfg)
	var rejected *tls.ECHRejectionError
	if errors.As(err, &rejected) {
		fmt.Printf("ech rejected retry=%s\n", base64.StdEncoding.EncodeToString(rejected.RetryConfigList))
		if *echRetry && len(rejected.RetryConfigList) > 0 {
			cfg.EncryptedClientHelloConfigList = rejected.RetryConfigList
			c, err = tls.DialWithDialer(d, "tcp", *connect, cfg)
		}
	}
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
