package wiring_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ade-go/ade/adapters/extractor/tabular"
	"github.com/ade-go/ade/adapters/httpapi"
	"github.com/ade-go/ade/cmd/ade/wiring"
)

func env(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

var _ = Describe("ConfigFromEnv", func() {
	It("applies the documented defaults", func() {
		c, err := wiring.ConfigFromEnv(env(nil))
		Expect(err).NotTo(HaveOccurred())
		Expect(c.HTTPAddr).To(Equal("127.0.0.1:8000"))
		Expect(c.DataDir).To(Equal("./var"))
		Expect(c.MaxUploadBytes).To(Equal(int64(26214400)))
		Expect(c.DocumentRetention).To(Equal(30 * 24 * time.Hour))
		Expect(c.JobTimeout).To(Equal(5 * time.Minute))
		Expect(c.LogFormat).To(Equal("text"))
		Expect(c.PurgeInterval).To(Equal(time.Minute))
		Expect(c.JobStartDelay).To(Equal(250 * time.Millisecond))
		Expect(c.DatabaseTarget()).To(Equal("sqlite:var/ade.db"))
		blobURL, err := c.BlobTarget()
		Expect(err).NotTo(HaveOccurred())
		Expect(blobURL).To(HavePrefix("file:///"))
		Expect(blobURL).To(HaveSuffix("/var/blobs"))
	})

	It("reads every variable", func() {
		c, err := wiring.ConfigFromEnv(env(map[string]string{
			"ADE_HTTP_ADDR": "0.0.0.0:9000", "ADE_DATA_DIR": "/srv/ade",
			"ADE_DATABASE_URL": "postgres://ade:secret@db:5432/ade", "ADE_BLOB_URL": "mem://",
			"ADE_MAX_UPLOAD_BYTES": "1024", "ADE_DOCUMENT_RETENTION_DAYS": "7",
			"ADE_JOB_TIMEOUT": "30s", "ADE_LOG_FORMAT": "json", "ADE_JOB_START_DELAY": "0",
		}))
		Expect(err).NotTo(HaveOccurred())
		Expect(c.JobStartDelay).To(BeZero(), "0: every start stored first")
		Expect(c.HTTPAddr).To(Equal("0.0.0.0:9000"))
		Expect(c.DatabaseTarget()).To(Equal("postgres://ade:secret@db:5432/ade"))
		Expect(c.BlobTarget()).To(Equal("mem://"))
		Expect(c.MaxUploadBytes).To(Equal(int64(1024)))
		Expect(c.DocumentRetention).To(Equal(7 * 24 * time.Hour))
		Expect(c.JobTimeout).To(Equal(30 * time.Second))
		Expect(c.LogFormat).To(Equal("json"))
	})

	It("reads the extraction limits, defaulting each", func() {
		c, err := wiring.ConfigFromEnv(env(nil))
		Expect(err).NotTo(HaveOccurred())
		Expect(c.ExtractionLimits).To(Equal(tabular.DefaultLimits()))
		Expect(c.SpoolRoot()).To(Equal("var/tmp"))
		vars := map[string]string{}
		for i, v := range wiring.LimitVariables {
			vars[v.Name] = strconv.Itoa(1000 + i)
		}
		c, err = wiring.ConfigFromEnv(env(vars))
		Expect(err).NotTo(HaveOccurred())
		for i, v := range wiring.LimitVariables {
			Expect(v.Value(c.ExtractionLimits)).To(BeEquivalentTo(1000+i), v.Name)
		}
		_, err = wiring.ConfigFromEnv(env(map[string]string{"ADE_MAX_CELLS": "0", "ADE_MAX_TABLES": "many", "ADE_MAX_ROW_BYTES": "99999999999"}))
		Expect(err).To(HaveOccurred())
		for _, name := range []string{"ADE_MAX_CELLS", "ADE_MAX_TABLES", "ADE_MAX_ROW_BYTES"} {
			Expect(err.Error()).To(ContainSubstring(name))
		}
	})

	It("reports every bad value at once, without leaking passwords", func() {
		_, err := wiring.ConfigFromEnv(env(map[string]string{
			"ADE_HTTP_ADDR": "nope", "ADE_MAX_UPLOAD_BYTES": "-1", "ADE_DOCUMENT_RETENTION_DAYS": "x",
			"ADE_JOB_TIMEOUT": "soon", "ADE_LOG_FORMAT": "xml", "ADE_PURGE_INTERVAL": "1ms", "ADE_DATABASE_URL": "mysql://u:hunter2@h/db",
			"ADE_JOB_START_DELAY": "-5ms",
		}))
		Expect(err).To(HaveOccurred())
		for _, name := range []string{"ADE_HTTP_ADDR", "ADE_MAX_UPLOAD_BYTES", "ADE_DOCUMENT_RETENTION_DAYS",
			"ADE_JOB_TIMEOUT", "ADE_LOG_FORMAT", "ADE_DATABASE_URL", "ADE_PURGE_INTERVAL", "ADE_JOB_START_DELAY"} {
			Expect(err.Error()).To(ContainSubstring(name))
		}
		Expect(strings.Contains(err.Error(), "hunter2")).To(BeFalse())
	})
})

var _ = Describe("the authentication and limit settings", func() {
	It("default to a 5 s key cache and documented limits", func() {
		c, err := wiring.ConfigFromEnv(env(nil))
		Expect(err).NotTo(HaveOccurred())
		Expect(c.BootstrapAdminKey).To(BeEmpty())
		Expect(c.KeyCacheTTL).To(Equal(5 * time.Second))
		Expect(c.Limits).To(Equal(httpapi.Limits{Rate: 50, Burst: 100, Uploads: 4, Jobs: 4}))
	})

	It("are read from the environment", func() {
		key := "ade_" + strings.Repeat("ab", 20)
		c, err := wiring.ConfigFromEnv(env(map[string]string{
			"ADE_BOOTSTRAP_ADMIN_KEY": " " + key + " ", "ADE_AUTH_CACHE_TTL": "2s", "ADE_RATE_LIMIT": "2.5",
			"ADE_RATE_BURST": "7", "ADE_MAX_CONCURRENT_UPLOADS": "1", "ADE_MAX_RUNNING_JOBS": "3",
			"ADE_INSTANCE_LEASE": "4s",
		}))
		Expect(err).NotTo(HaveOccurred())
		Expect(c.InstanceLease).To(Equal(4 * time.Second))
		Expect(c.BootstrapAdminKey.Reveal()).To(Equal(key))
		Expect(c.KeyCacheTTL).To(Equal(2 * time.Second))
		Expect(c.Limits).To(Equal(httpapi.Limits{Rate: 2.5, Burst: 7, Uploads: 1, Jobs: 3}))
	})

	It("refuses bad values naming each, and never echoes a bootstrap key", func() {
		weak := "ade_tooshort-hunter2"
		_, err := wiring.ConfigFromEnv(env(map[string]string{
			"ADE_BOOTSTRAP_ADMIN_KEY": weak, "ADE_AUTH_CACHE_TTL": "1h", "ADE_RATE_LIMIT": "NaN",
			"ADE_RATE_BURST": "0", "ADE_MAX_CONCURRENT_UPLOADS": "-2", "ADE_MAX_RUNNING_JOBS": "many",
			"ADE_INSTANCE_LEASE": "500ms",
		}))
		Expect(err).To(HaveOccurred())
		for _, name := range []string{"ADE_BOOTSTRAP_ADMIN_KEY", "ADE_AUTH_CACHE_TTL", "ADE_RATE_LIMIT",
			"ADE_RATE_BURST", "ADE_MAX_CONCURRENT_UPLOADS", "ADE_MAX_RUNNING_JOBS", "ADE_INSTANCE_LEASE"} {
			Expect(err.Error()).To(ContainSubstring(name))
		}
		Expect(err.Error()).NotTo(ContainSubstring("hunter2"))
	})

	It("never prints the bootstrap key, however the configuration is formatted or logged", func() {
		key := "ade_" + strings.Repeat("cd", 20)
		c, err := wiring.ConfigFromEnv(env(map[string]string{"ADE_BOOTSTRAP_ADMIN_KEY": key}))
		Expect(err).NotTo(HaveOccurred())
		var logged bytes.Buffer
		slog.New(slog.NewJSONHandler(&logged, nil)).Info("config", "config", c, "key", c.BootstrapAdminKey)
		slog.New(slog.NewTextHandler(&logged, nil)).Info("config", "key", c.BootstrapAdminKey)
		for _, out := range []string{fmt.Sprint(c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c), fmt.Sprint(c.BootstrapAdminKey), logged.String()} {
			Expect(out).NotTo(ContainSubstring(key[4:]))
		}
		Expect(fmt.Sprint(c.BootstrapAdminKey)).To(Equal("[redacted]"))
	})
})
