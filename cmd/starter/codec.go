package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"

	"github.com/hubspot-extole/bridge/internal/codec"
	"github.com/hubspot-extole/bridge/internal/config"
	"github.com/hubspot-extole/bridge/internal/contact"
	"go.uber.org/zap"
)

// codecServer serves Temporal's remote codec protocol so the Web UI (and `temporal --codec-endpoint`)
// shows decrypted payloads to whoever can reach it: keep it on loopback or behind CODEC_AUTH_TOKEN.
func codecServer(ctx context.Context, cfg config.Config, log *zap.Logger) error {
	c, err := codec.Parse(cfg.PayloadCodecKeys.Reveal())
	if err != nil {
		return err
	}
	if c == nil {
		return fmt.Errorf("%s is not set: there is nothing to decode", codec.EnvKeys)
	}
	if cfg.CodecAuthToken == "" && !loopbackAddr(cfg.CodecAddr) {
		log.Warn("the codec server decrypts contacts' data for anyone who reaches it: set CODEC_AUTH_TOKEN or keep CODEC_ADDR on loopback",
			zap.String("addr", cfg.CodecAddr))
	}
	log.Info("codec server decrypting for the Web UI", zap.String("encrypt_key_id", c.EncryptKeyID()),
		zap.Strings("cors_origins", cfg.CodecCORSOrigins), zap.Bool("auth", cfg.CodecAuthToken != ""))
	h := codec.Handler(c, codec.ServerOptions{AllowedOrigins: cfg.CodecCORSOrigins, AuthToken: cfg.CodecAuthToken.Reveal()})
	return serveHTTP(ctx, log, "codec server", cfg.CodecAddr, h)
}

func loopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Unmap().IsLoopback()
}

// emailHash prints the ContactEmailHash (and ShareLinkSync ID suffix) of each address under this
// deployment's EMAIL_HASH_SALT, one per line, for searching the Web UI or `temporal workflow list`.
func emailHash(w io.Writer, args []string) error {
	if len(args) == 0 {
		return errors.New("usage: starter email-hash <email>…")
	}
	for _, a := range args {
		if !contact.ValidEmail(a) {
			return fmt.Errorf("%q is not an email address", contact.MaskEmail(a))
		}
		fmt.Fprintln(w, contact.HashEmail(a))
	}
	return nil
}
