package extolesim

import (
	"cmp"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"time"
)

// ShareLinkExtension simulates Extole's "Create Share Link on any Event" extension with a generic
// webhook attached (https://dev.extole.com/docs/hubspot): on an accepted event named TriggerEvent it
// gets or creates the person's shareable for Label and posts the "Share Link Created" body to
// WebhookURL with `Authorization: Bearer <WebhookToken>`, retrying a non-2xx answer as Extole does.
// Off while WebhookURL or TriggerEvent is "".
type ShareLinkExtension struct {
	TriggerEvent string
	WebhookURL   string
	WebhookToken string
	Label        string        // "" = "refer-a-friend"
	Attempts     int           // 0 = 5, as Extole's documented retry schedule
	RetryAfter   time.Duration // first retry; doubled each time. 0 = 500 ms (Extole waits 1 s, then hours)
	Client       *http.Client  // nil = a client with a 10 s timeout
}

func (x ShareLinkExtension) on() bool { return x.TriggerEvent != "" && x.WebhookURL != "" }

// ShareLinkDelivery is one link the extension posted to the webhook, with how it ended.
type ShareLinkDelivery struct {
	Email     string `json:"email"`
	ShareLink string `json:"share_link"`
	Attempts  int    `json:"attempts"`
	Status    int    `json:"status"` // the last answer's status; 0 = no answer
	Delivered bool   `json:"delivered"`
}

// extension holds the finished deliveries; its own lock, as they end outside the fake's.
type extension struct {
	mu         sync.Mutex
	deliveries []ShareLinkDelivery
}

// shareLinkCreated is the extension's flat body (https://dev.extole.com/docs/create-share-link-on-an-event).
type shareLinkCreated struct {
	Event     string `json:"event"`
	Email     string `json:"email"`
	Timestamp string `json:"timestamp"`
	ShareLink string `json:"share_link"`
	ShareCode string `json:"share_code"`
}

// triggerExtensionLocked runs the extension for an accepted event. Caller holds e.mu; the webhook is
// called from a goroutine, as Extole calls it after answering the event.
func (e *Extole) triggerExtensionLocked(name, email string, at time.Time) {
	x := e.opts.ShareLinkExtension
	if !x.on() || name != x.TriggerEvent || email == "" {
		return
	}
	p := e.personByEmail[strings.ToLower(email)]
	if p == nil {
		return
	}
	label := x.Label
	if label == "" {
		label = "refer-a-friend"
	}
	var s *extoleShareable
	for _, have := range p.shareables {
		if strings.EqualFold(have.label, label) {
			s = have
		}
	}
	if s == nil {
		s = e.addShareableLocked(p, "", label, label, nil, nil, at)
	}
	body := shareLinkCreated{Event: "Share Link Created", Email: p.email, Timestamp: at.UTC().Format(time.RFC3339Nano),
		ShareLink: s.link, ShareCode: s.code}
	go func() {
		d := deliver(x, body)
		e.ext.mu.Lock()
		e.ext.deliveries = append(e.ext.deliveries, d)
		e.ext.mu.Unlock()
	}()
}

func deliver(x ShareLinkExtension, body shareLinkCreated) ShareLinkDelivery {
	raw, _ := json.Marshal(body) // plain strings always marshal
	header := http.Header{}
	if x.WebhookToken != "" {
		header.Set("Authorization", "Bearer "+x.WebhookToken)
	}
	d := ShareLinkDelivery{Email: body.Email, ShareLink: body.ShareLink}
	d.Attempts, d.Status = postWithRetries(x.Client, x.WebhookURL, raw, header, x.Attempts, cmp.Or(x.RetryAfter, 500*time.Millisecond))
	d.Delivered = delivered(d.Status)
	return d
}

// ShareLinkDeliveries returns the extension's finished deliveries in the order they ended.
func (e *Extole) ShareLinkDeliveries() []ShareLinkDelivery {
	e.ext.mu.Lock()
	defer e.ext.mu.Unlock()
	return append([]ShareLinkDelivery{}, e.ext.deliveries...)
}
