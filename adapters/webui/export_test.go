package webui

import "time"

// Seal and Open expose the session sealer to the specs.
func Seal(secret []byte, name, key, csrf string, issued time.Time) (string, error) {
	s, err := newSealer(secret)
	if err != nil {
		return "", err
	}
	return s.seal(name, session{Key: key, CSRF: csrf, Issued: issued.Unix()})
}

// Open opens a sealed value, returning its key and token.
func Open(secret []byte, name, value string, ttl time.Duration, now time.Time) (key, csrf string, err error) {
	s, err := newSealer(secret)
	if err != nil {
		return "", "", err
	}
	v, err := s.open(name, value, ttl, now)
	return v.Key, v.CSRF, err
}

// ParsePayload exposes the editor's JSON reader.
var ParsePayload = parsePayload

// SessionCookie is the session cookie's name.
const SessionCookie = sessionCookie
