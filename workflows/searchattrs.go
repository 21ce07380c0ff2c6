package workflows

import "go.temporal.io/sdk/temporal"

// Typed search-attribute keys, declared once. The Makefile's dev server flags, the worker's start-up
// registration and the start options all use this list (a test checks the Makefile against it).
var (
	// PartnerConversionID is Extole's de-duplication key for an event.
	PartnerConversionID = temporal.NewSearchAttributeKeyKeyword("PartnerConversionId")
	// ExtoleEventName is the event forwarded to Extole (signed_up, converted, …).
	ExtoleEventName = temporal.NewSearchAttributeKeyKeyword("ExtoleEventName")
	// ContactEmailHash is HashEmail of the contact's address; a hash rather than the address because
	// search attributes are stored unencrypted and outlive the workflow's retention in some setups.
	ContactEmailHash = temporal.NewSearchAttributeKeyKeyword("ContactEmailHash")
	// HubSpotContactID is the HubSpot record id, set once a workflow knows it.
	HubSpotContactID = temporal.NewSearchAttributeKeyKeyword("HubSpotContactId")
)

// SearchAttributes lists every custom search attribute the bridge uses, for registration.
var SearchAttributes = []temporal.SearchAttributeKey{PartnerConversionID, ExtoleEventName, ContactEmailHash, HubSpotContactID}
