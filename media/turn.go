package media

import (
	"crypto/hmac"
	"crypto/sha1" //nolint:gosec // TURN REST credentials are defined over HMAC-SHA1.
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/pion/turn/v5"
	"github.com/pion/webrtc/v4"
)

// TURNConfig configures the optional embedded TURN server (RFC 8656). Zero values select the
// defaults given per field.
type TURNConfig struct {
	// ListenAddr is the UDP address to listen on. FAYUN_TURN_LISTEN, default "0.0.0.0:3478".
	ListenAddr string
	// PublicIP is the address clients reach the server and its relays at; it also goes into
	// the URLs handed to clients. FAYUN_TURN_PUBLIC_IP, required (127.0.0.1 for tests).
	PublicIP string
	// RelayBindAddr is the local address relay sockets bind to. Default "0.0.0.0", or
	// PublicIP when that is a loopback address.
	RelayBindAddr string
	// Realm is the TURN realm (RFC 8489 §14.9). FAYUN_TURN_REALM, default "fayun".
	Realm string
	// Secret is the shared secret for time-limited credentials. FAYUN_TURN_SECRET, required.
	Secret string
	// CredentialTTL is how long handed-out credentials stay valid. FAYUN_TURN_TTL, default 1 h.
	CredentialTTL time.Duration
	// Logger receives lifecycle messages and rejected logins; default slog.Default().
	Logger *slog.Logger
}

// TURNServer is an embedded TURN relay authenticating with time-limited credentials in the
// "TURN REST API" style (draft-uberti-behave-turn-rest-00): username "EXPIRY:USER" with EXPIRY
// in Unix seconds, password base64(HMAC-SHA1(secret, username)). Nothing is stored per user.
type TURNServer struct {
	cfg  TURNConfig
	srv  *turn.Server
	conn net.PacketConn
}

// StartTURN listens and serves until Close.
func StartTURN(cfg TURNConfig) (*TURNServer, error) {
	if cfg.Secret == "" {
		return nil, errors.New("media start turn: secret is required")
	}
	pub := net.ParseIP(cfg.PublicIP)
	if pub == nil {
		return nil, fmt.Errorf("media start turn: public ip %q is not an IP address", cfg.PublicIP)
	}
	if cfg.ListenAddr == "" {
		cfg.ListenAddr = "0.0.0.0:3478"
	}
	if cfg.RelayBindAddr == "" {
		cfg.RelayBindAddr = "0.0.0.0"
		if pub.IsLoopback() {
			cfg.RelayBindAddr = pub.String()
		}
	}
	if cfg.Realm == "" {
		cfg.Realm = "fayun"
	}
	if cfg.CredentialTTL <= 0 {
		cfg.CredentialTTL = time.Hour
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	conn, err := net.ListenPacket("udp4", cfg.ListenAddr)
	if err != nil {
		return nil, fmt.Errorf("media start turn: %w", err)
	}
	s := &TURNServer{cfg: cfg, conn: conn}
	srv, err := turn.NewServer(turn.ServerConfig{
		Realm:       cfg.Realm,
		AuthHandler: s.authenticate,
		PacketConnConfigs: []turn.PacketConnConfig{{
			PacketConn: conn,
			RelayAddressGenerator: &turn.RelayAddressGeneratorStatic{
				RelayAddress: pub, Address: cfg.RelayBindAddr,
			},
		}},
	})
	if err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("media start turn: %w", err)
	}
	s.srv = srv
	cfg.Logger.Info("turn server listening", "addr", conn.LocalAddr().String(), "realm", cfg.Realm)
	return s, nil
}

// Addr returns the address the server listens on.
func (s *TURNServer) Addr() net.Addr { return s.conn.LocalAddr() }

// Allocations returns the number of live relay allocations.
func (s *TURNServer) Allocations() int { return s.srv.AllocationCount() }

// ICEServer returns the server's URL with fresh credentials for user (a call id, say), valid
// for the configured TTL from now, ready for a client's RTCConfiguration.
func (s *TURNServer) ICEServer(user string) webrtc.ICEServer {
	name, pass := TURNCredentials(s.cfg.Secret, user, time.Now().Add(s.cfg.CredentialTTL))
	port := s.conn.LocalAddr().(*net.UDPAddr).Port
	hostPort := net.JoinHostPort(s.cfg.PublicIP, strconv.Itoa(port))
	return webrtc.ICEServer{
		URLs:       []string{"turn:" + hostPort + "?transport=udp"},
		Username:   name,
		Credential: pass,
	}
}

// Close stops the server and releases every allocation.
func (s *TURNServer) Close() error {
	if err := s.srv.Close(); err != nil {
		return fmt.Errorf("media close turn: %w", err)
	}
	return nil
}

// TURNCredentials returns a TURN REST username and password for user valid until expires.
// user must not contain a colon.
func TURNCredentials(secret, user string, expires time.Time) (username, password string) {
	username = strconv.FormatInt(expires.Unix(), 10) + ":" + user
	return username, turnPassword(secret, username)
}

func turnPassword(secret, username string) string {
	mac := hmac.New(sha1.New, []byte(secret))
	mac.Write([]byte(username))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// authenticate implements the long-term credential mechanism (RFC 8489 §9.2) over the REST
// credentials: the key is MD5(username:realm:password), computed from the secret.
func (s *TURNServer) authenticate(ra *turn.RequestAttributes) (string, []byte, bool) {
	expiry, user, ok := strings.Cut(ra.Username, ":")
	if !ok {
		s.cfg.Logger.Debug("turn login refused", "reason", "malformed username")
		return "", nil, false
	}
	unix, err := strconv.ParseInt(expiry, 10, 64)
	if err != nil || time.Now().Unix() > unix {
		s.cfg.Logger.Debug("turn login refused", "reason", "expired or malformed expiry")
		return "", nil, false
	}
	key := turn.GenerateAuthKey(ra.Username, ra.Realm, turnPassword(s.cfg.Secret, ra.Username))
	return user, key, true
}

// turnRequest and turnKey name the pion types used by authenticate, for the tests.
type turnRequest = turn.RequestAttributes

func turnKey(username, realm, password string) []byte {
	return turn.GenerateAuthKey(username, realm, password)
}
