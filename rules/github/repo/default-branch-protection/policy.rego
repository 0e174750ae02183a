# CW-GITHUB-REPO-001: the default branch is protected and reviewed. Contract: docs/rules.md.
package complywise.rules.cw_github_repo_001

min_approvals := data.params["CW-GITHUB-REPO-001"].min_approvals

not_applicable(r) if r.attributes.archived == true

protected(p) if {
	p.protected == true
	p.required_approving_review_count >= min_approvals
	p.enforce_admins == true
	p.allows_force_pushes == false
	p.allows_deletions == false
}

compliant(r) if protected(r.attributes.default_branch_protection)

undecidable(r) if not "default_branch_protection" in object.keys(r.attributes)

undecidable(r) if not "archived" in object.keys(r.attributes)
