// Package deploy checks docker-compose.yml, which cannot run on our machines (no container engine), against
// what does run: the bridge's configuration and the Temporal topology `make prod-test` tests.
package deploy

import (
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/hubspot-extole/bridge/internal/config"
	"github.com/hubspot-extole/bridge/workflows"
	"go.temporal.io/sdk/contrib/envconfig"
	"go.yaml.in/yaml/v3"
)

type service struct {
	Image       string            `yaml:"image"`
	Build       any               `yaml:"build"`
	Entrypoint  []string          `yaml:"entrypoint"`
	Command     any               `yaml:"command"`
	Environment map[string]string `yaml:"environment"`
	Volumes     []string          `yaml:"volumes"`
	Healthcheck *struct {
		Test    []string `yaml:"test"`
		Disable bool     `yaml:"disable"`
	} `yaml:"healthcheck"`
	DependsOn map[string]struct {
		Condition string `yaml:"condition"`
	} `yaml:"depends_on"`
}

func loadCompose(t *testing.T) map[string]service {
	t.Helper()
	b, err := os.ReadFile("../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Services map[string]service `yaml:"services"`
	}
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Services) == 0 {
		t.Fatal("docker-compose.yml has no services")
	}
	return f.Services
}

// interpolated replaces ${VAR:-default} and ${VAR} the way compose does with VAR unset.
func interpolated(s string) string {
	return regexp.MustCompile(`\$\{[A-Z0-9_]+(:?-([^}]*))?\}`).ReplaceAllString(s, "$2")
}

// ours reports whether a service runs the bridge's own image (worker, webhook server, sandbox).
func ours(s service) bool { return s.Build != nil }

// oneShots are the services others wait for to complete (schema, setup); every other one runs for good.
func oneShots(services map[string]service) map[string]bool {
	out := map[string]bool{}
	for _, s := range services {
		for dep, d := range s.DependsOn {
			if d.Condition == "service_completed_successfully" {
				out[dep] = true
			}
		}
	}
	return out
}

// An image without a pinned tag changes under the stack on the next pull.
func TestComposeImagesArePinned(t *testing.T) {
	for name, s := range loadCompose(t) {
		if ours(s) {
			continue
		}
		img := interpolated(s.Image)
		i := strings.LastIndex(img, ":")
		if i < 0 || strings.Contains(img[i:], "/") || img[i+1:] == "" || img[i+1:] == "latest" {
			t.Errorf("%s: image %q has no pinned tag", name, s.Image)
		}
	}
}

// Compose only restarts and orders on what a healthcheck reports.
func TestComposeLongRunningServicesHaveHealthchecks(t *testing.T) {
	services := loadCompose(t)
	once := oneShots(services)
	for name, s := range services {
		if once[name] {
			continue
		}
		if s.Healthcheck == nil || s.Healthcheck.Disable || len(s.Healthcheck.Test) == 0 {
			t.Errorf("%s runs for good but has no healthcheck", name)
		}
	}
}

// A variable the bridge does not read is a setting that silently does nothing.
func TestComposePassesOnlyVariablesTheBridgeReads(t *testing.T) {
	reads := configVariables(reflect.TypeFor[config.Config]())
	for name, s := range loadCompose(t) {
		if !ours(s) {
			continue
		}
		for k, v := range s.Environment {
			if !reads[k] && !readBySDK(t, k, interpolated(v)) {
				t.Errorf("%s: %s is read neither by internal/config nor by the SDK's envconfig", name, k)
			}
		}
	}
}

// configVariables lists the variables internal/config reads (its envconfig tags).
func configVariables(typ reflect.Type) map[string]bool {
	out := map[string]bool{}
	for f := range typ.Fields() {
		if f.Type.Kind() == reflect.Struct && f.Tag.Get("envconfig") == "" {
			for k := range configVariables(f.Type) {
				out[k] = true
			}
			continue
		}
		if k := f.Tag.Get("envconfig"); k != "" {
			out[k] = true
		}
	}
	return out
}

// readBySDK reports whether the Temporal SDK's envconfig (how internal/temporalx dials) takes the
// variable into its client profile.
func readBySDK(t *testing.T, key, value string) bool {
	t.Helper()
	load := func(env envMap) envconfig.ClientConfigProfile {
		p, err := envconfig.LoadClientConfigProfile(envconfig.LoadClientConfigProfileOptions{DisableFile: true, EnvLookup: env})
		if err != nil {
			t.Fatalf("%s=%q: %v", key, value, err)
		}
		return p
	}
	return !reflect.DeepEqual(load(envMap{}), load(envMap{key: value}))
}

// The compose stack runs the Temporal server version, configuration and scripts that `make prod-test`
// tests, and registers the search attributes the workflows set.
func TestComposeRunsTheTestedTemporalTopology(t *testing.T) {
	services := loadCompose(t)
	makefile, err := os.ReadFile("../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^TEMPORAL_SERVER_VERSION\s*:=\s*v(\S+)`).FindSubmatch(makefile)
	if m == nil {
		t.Fatal("Makefile has no TEMPORAL_SERVER_VERSION")
	}
	version := string(m[1])
	const mount = "./deploy/temporal:/etc/temporal/bridge:ro"

	tests := []struct {
		service string
		image   string // its tag is the server version, or starts with it and "-"
		runs    string // in its entrypoint or command
	}{
		{"temporal-schema", "temporalio/admin-tools", "/etc/temporal/bridge/schema.sh"},
		{"temporal", "temporalio/server", "--config /etc/temporal/bridge --env production"},
		{"temporal-setup", "temporalio/admin-tools", "/etc/temporal/bridge/setup.sh"},
	}
	for _, tc := range tests {
		t.Run(tc.service, func(t *testing.T) {
			s, ok := services[tc.service]
			if !ok {
				t.Fatalf("no service %s", tc.service)
			}
			repo, tag, _ := strings.Cut(interpolated(s.Image), ":")
			if v, _, _ := strings.Cut(tag, "-"); repo != tc.image || v != version {
				t.Errorf("image %s; want %s:%s (make prod-test runs Server %s)", s.Image, tc.image, version, version)
			}
			if !slices.Contains(s.Volumes, mount) {
				t.Errorf("volumes %v; want %s", s.Volumes, mount)
			}
			if run := strings.Join(s.Entrypoint, " ") + " " + flatten(s.Command); !strings.Contains(run, tc.runs) {
				t.Errorf("runs %q; want it to run %q", run, tc.runs)
			}
		})
	}
	t.Run("search attributes", func(t *testing.T) {
		var want []string
		for _, k := range workflows.SearchAttributes {
			want = append(want, k.GetName()+"="+k.GetValueType().String())
		}
		got := strings.Fields(services["temporal-setup"].Environment["SEARCH_ATTRIBUTES"])
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("temporal-setup registers %v; the workflows set %v", got, want)
		}
	})
	t.Run("retention", func(t *testing.T) {
		if r := services["temporal-setup"].Environment["RETENTION"]; r != "72h" {
			t.Errorf("RETENTION %q; want 72h, HubSpot's 3-day retry horizon", r)
		}
	})
}

// envMap is an environment for envconfig.EnvLookup.
type envMap map[string]string

func (e envMap) LookupEnv(k string) (string, bool) { v, ok := e[k]; return v, ok }

func (e envMap) Environ() []string {
	var out []string
	for k, v := range e {
		out = append(out, k+"="+v)
	}
	return out
}

func flatten(command any) string {
	switch c := command.(type) {
	case string:
		return c
	case []any:
		var parts []string
		for _, p := range c {
			parts = append(parts, flatten(p))
		}
		return strings.Join(parts, " ")
	}
	return ""
}
