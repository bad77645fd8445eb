package domain_test

import (
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ade-go/ade/domain"
)

const testKey = "ade_0123456789abcdefghijklmnopqrstuvwxyzABCDEF"

func keyParams() domain.NewAPIKeyParams {
	return domain.NewAPIKeyParams{ID: "01KEY", WorkspaceID: "01WS", Role: domain.RoleEditor, Label: " ci ", Key: testKey, Now: t0}
}

var _ = Describe("API keys", func() {
	It("keeps only the hash of the key's text", func() {
		k, err := domain.NewAPIKey(keyParams())
		Expect(err).NotTo(HaveOccurred())
		s := k.State()
		Expect(s.Hash).To(Equal(domain.HashAPIKey(testKey)))
		Expect(s.Hash).To(MatchRegexp(`^[0-9a-f]{64}$`))
		Expect(s.Label).To(Equal("ci"))
		Expect(s.CreatedAt).To(Equal(t0))
		Expect(k.Matches(testKey)).To(BeTrue())
		Expect(k.Matches(testKey + "x")).To(BeFalse())
		// No field of the stored form holds the key or a piece of it.
		Expect(strings.Contains(s.Hash, testKey[4:12])).To(BeFalse())
	})

	DescribeTable("refuses invalid input naming the field",
		func(change func(*domain.NewAPIKeyParams), field string) {
			p := keyParams()
			change(&p)
			_, err := domain.NewAPIKey(p)
			Expect(err).To(MatchError(domain.ErrInvalidInput))
			Expect(fieldsOf(err)).To(ConsistOf(field))
		},
		Entry("unknown role", func(p *domain.NewAPIKeyParams) { p.Role = "owner" }, "role"),
		Entry("a global key that is not admin", func(p *domain.NewAPIKeyParams) { p.WorkspaceID = "" }, "role"),
		Entry("a label too long", func(p *domain.NewAPIKeyParams) { p.Label = strings.Repeat("é", 201) }, "label"),
		Entry("a label with a control character", func(p *domain.NewAPIKeyParams) { p.Label = "a\nb" }, "label"),
		Entry("a key without the prefix", func(p *domain.NewAPIKeyParams) { p.Key = strings.TrimPrefix(testKey, "ade_") + "xxxx" }, "key"),
		Entry("a key too short", func(p *domain.NewAPIKeyParams) { p.Key = "ade_" + strings.Repeat("a", 31) }, "key"),
		Entry("a missing id", func(p *domain.NewAPIKeyParams) { p.ID = "" }, "api_key_id"),
	)

	DescribeTable("recognises well-formed keys without a lookup",
		func(s string, ok bool) { Expect(domain.WellFormedAPIKey(s)).To(Equal(ok)) },
		Entry("generated shape", testKey, true),
		Entry("hex secret", "ade_"+strings.Repeat("0f", 16), true),
		Entry("dash and underscore", "ade_"+strings.Repeat("a-_", 11), true),
		Entry("empty", "", false),
		Entry("prefix only", "ade_", false),
		Entry("31 characters", "ade_"+strings.Repeat("a", 31), false),
		Entry("wrong prefix", "ADE_"+strings.Repeat("a", 40), false),
		Entry("a space", "ade_"+strings.Repeat("a", 20)+" "+strings.Repeat("a", 20), false),
		Entry("non-ASCII", "ade_"+strings.Repeat("é", 20), false),
		Entry("over 256 characters", "ade_"+strings.Repeat("a", 253), false),
		Entry("exactly 256 characters", "ade_"+strings.Repeat("a", 252), true),
	)

	It("is revoked once", func() {
		k, err := domain.NewAPIKey(keyParams())
		Expect(err).NotTo(HaveOccurred())
		Expect(k.Revoked()).To(BeFalse())
		Expect(k.Revoke(t0.Add(time.Hour))).To(Succeed())
		Expect(k.Revoked()).To(BeTrue())
		Expect(*k.State().RevokedAt).To(Equal(t0.Add(time.Hour)))
		Expect(k.Revoke(t0.Add(2 * time.Hour))).To(MatchError(domain.ErrConflict))
		Expect(k.Authorize(domain.ActionRead, "01WS")).To(MatchError(domain.ErrUnauthenticated))
	})

	It("acts as itself on events", func() {
		k, err := domain.NewAPIKey(keyParams())
		Expect(err).NotTo(HaveOccurred())
		Expect(k.Actor()).To(Equal(domain.Actor{Type: domain.ActorAPIKey, ID: "01KEY", Label: "ci"}))
	})

	It("copies its state in and out", func() {
		now := t0
		k := domain.RehydrateAPIKey(domain.APIKeyState{ID: "01KEY", Role: domain.RoleAdmin, LastUsedAt: &now})
		now = now.Add(time.Hour)
		s := k.State()
		Expect(*s.LastUsedAt).To(Equal(t0))
		*s.LastUsedAt = t0.Add(time.Minute)
		Expect(*k.State().LastUsedAt).To(Equal(t0))
		Expect(k.IsGlobalAdmin()).To(BeTrue())
	})
})

// The whole permission table, role by action: what the API contract says
// each role may do.
var _ = Describe("the permission table", func() {
	const own, other = "01OWN", "01OTHER"
	key := func(ws string, role domain.Role) *domain.APIKey {
		return domain.RehydrateAPIKey(domain.APIKeyState{ID: "01K", WorkspaceID: ws, Role: role})
	}
	type outcome int
	const (
		allowed outcome = iota
		forbidden
		invisible
	)
	check := func(k *domain.APIKey, a domain.Action, ws string, want outcome) {
		GinkgoHelper()
		err := k.Authorize(a, ws)
		switch want {
		case allowed:
			Expect(err).NotTo(HaveOccurred(), "%s %s on %q", k.Role(), a, ws)
		case forbidden:
			Expect(err).To(MatchError(domain.ErrForbidden), "%s %s on %q", k.Role(), a, ws)
		case invisible:
			Expect(err).To(MatchError(domain.ErrNotFound), "%s %s on %q", k.Role(), a, ws)
		}
	}

	DescribeTable("in the key's own workspace",
		func(a domain.Action, viewer, editor, admin outcome) {
			check(key(own, domain.RoleViewer), a, own, viewer)
			check(key(own, domain.RoleEditor), a, own, editor)
			check(key(own, domain.RoleAdmin), a, own, admin)
			check(key("", domain.RoleAdmin), a, own, allowed)
		},
		Entry(nil, domain.ActionListWorkspaces, allowed, allowed, allowed),
		Entry(nil, domain.ActionCreateWorkspace, forbidden, forbidden, forbidden),
		Entry(nil, domain.ActionRead, allowed, allowed, allowed),
		Entry(nil, domain.ActionWriteDocuments, forbidden, allowed, allowed),
		Entry(nil, domain.ActionRunJobs, forbidden, allowed, allowed),
		Entry(nil, domain.ActionManageConfigurations, forbidden, forbidden, allowed),
		Entry(nil, domain.ActionManageKeys, forbidden, forbidden, allowed),
		Entry(nil, domain.ActionManageWebhooks, forbidden, forbidden, allowed),
	)

	DescribeTable("in another workspace, every workspace action looks like a missing workspace",
		func(a domain.Action) {
			for _, r := range domain.Roles {
				check(key(own, r), a, other, invisible)
			}
			check(key("", domain.RoleAdmin), a, other, allowed)
		},
		Entry(nil, domain.ActionRead),
		Entry(nil, domain.ActionWriteDocuments),
		Entry(nil, domain.ActionRunJobs),
		Entry(nil, domain.ActionManageConfigurations),
		Entry(nil, domain.ActionManageKeys),
		Entry(nil, domain.ActionManageWebhooks),
	)

	It("refuses actions missing from the table", func() {
		Expect(key("", domain.RoleAdmin).Authorize("workspaces.delete", "")).To(MatchError(domain.ErrForbidden))
		Expect(domain.Action("workspaces.delete").Known()).To(BeFalse())
		Expect(domain.ActionRead.NeedsWorkspace()).To(BeTrue())
		Expect(domain.ActionCreateWorkspace.NeedsWorkspace()).To(BeFalse())
	})
})
