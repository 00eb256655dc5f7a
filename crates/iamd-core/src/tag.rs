//! Tag operations of every taggable entity: TagUser/UntagUser/ListUserTags, the same for
//! roles, customer managed policies, instance profiles and virtual MFA devices. Each finds the entity after
//! authorizing the operation's action on its ARN (AccessDenied before NoSuchEntity, as for
//! the entity's other operations), then changes or reads its tags in one store call, which
//! holds AWS's quota of 50 tags after the change. Keys are compared ignoring case; a request
//! naming one key twice is refused before this (`api::tags`).

use crate::error::IamError;
use crate::model::{Tag, Tagged, TaggedKind, TAGS_PER_ENTITY};
use crate::pagination::{self, Listing, SortKey};
use crate::policy::{no_such_policy, Page};
use crate::service::{Iam, RequestContext};
use crate::store_errors::tag_error;

/// The operation names of each kind's tag listing, for its markers.
fn listing_name(kind: TaggedKind) -> &'static str {
    match kind {
        TaggedKind::User => "ListUserTags",
        TaggedKind::Role => "ListRoleTags",
        TaggedKind::Policy => "ListPolicyTags",
        TaggedKind::InstanceProfile => "ListInstanceProfileTags",
        TaggedKind::MfaDevice => "ListMFADeviceTags",
        TaggedKind::ServerCertificate => "ListServerCertificateTags",
    }
}

impl Iam {
    /// A user's or role's tags are what `${aws:PrincipalTag/…}` reads, and the authorizer
    /// keeps them with the principal's compiled policies: a change is seen at once, as a
    /// policy change is.
    fn principal_tags_changed(&self, kind: TaggedKind) {
        match kind {
            TaggedKind::User | TaggedKind::Role => self.authorizer.policies_changed(),
            TaggedKind::Policy
            | TaggedKind::InstanceProfile
            | TaggedKind::MfaDevice
            | TaggedKind::ServerCertificate => {}
        }
    }

    /// The account and stored name of the entity the caller names (`name`: a user, role or
    /// instance profile name, or a policy's ARN), after authorizing the operation on it.
    async fn tagged_for(
        &self,
        ctx: &RequestContext,
        kind: TaggedKind,
        name: &str,
    ) -> Result<(String, String), IamError> {
        Ok(match kind {
            TaggedKind::User => {
                let user = self.user_for_policy_op(ctx, name, ctx.action()).await?;
                (user.account_id, user.user_name)
            }
            TaggedKind::Role => {
                let role = self.role_for(ctx, name, ctx.action()).await?;
                (role.account_id, role.role_name)
            }
            TaggedKind::Policy => {
                let policy = self
                    .managed_policy(ctx, name, ctx.action(), no_such_policy)
                    .await?;
                // AWS managed policies carry no tags, and take none.
                if !kind_lists(ctx) {
                    crate::policy::not_aws(ctx, &policy, name)?;
                }
                (policy.account_id, policy.policy_name)
            }
            TaggedKind::InstanceProfile => {
                let profile = self.instance_profile_for(ctx, name).await?;
                (profile.account_id, profile.instance_profile_name)
            }
            TaggedKind::MfaDevice => {
                let device = self.mfa_device_for(ctx, name).await?;
                (device.account_id, device.serial_number)
            }
            TaggedKind::ServerCertificate => {
                let cert = self.server_certificate_for(ctx, name).await?;
                (cert.account_id, cert.name)
            }
        })
    }

    /// TagUser, TagRole, TagPolicy, TagInstanceProfile.
    pub async fn tag_entity(
        &self,
        ctx: &RequestContext,
        kind: TaggedKind,
        name: &str,
        tags: &[Tag],
    ) -> Result<(), IamError> {
        let ctx = &ctx.tagging(tags);
        let (account_id, stored) = self.tagged_for(ctx, kind, name).await?;
        let result = self
            .store
            .tag_entity(
                &account_id,
                Tagged::new(kind, &stored),
                tags,
                TAGS_PER_ENTITY,
            )
            .await
            .map_err(|e| tag_error(e, kind, name));
        self.principal_tags_changed(kind);
        result
    }

    /// UntagUser, UntagRole, UntagPolicy, UntagInstanceProfile.
    pub async fn untag_entity(
        &self,
        ctx: &RequestContext,
        kind: TaggedKind,
        name: &str,
        keys: &[String],
    ) -> Result<(), IamError> {
        let ctx = &ctx.untagging(keys);
        let (account_id, stored) = self.tagged_for(ctx, kind, name).await?;
        let result = self
            .store
            .untag_entity(&account_id, Tagged::new(kind, &stored), keys)
            .await
            .map_err(|e| tag_error(e, kind, name));
        self.principal_tags_changed(kind);
        result
    }

    /// ListUserTags, ListRoleTags, ListPolicyTags, ListInstanceProfileTags: the tags in
    /// order, in pages of `max_items` (a marker holds the next tag's position).
    pub async fn list_entity_tags(
        &self,
        ctx: &RequestContext,
        kind: TaggedKind,
        name: &str,
        marker: Option<&str>,
        max_items: usize,
    ) -> Result<Page<Tag>, IamError> {
        let (account_id, stored) = self.tagged_for(ctx, kind, name).await?;
        let tags = if account_id == crate::catalog::AWS_ACCOUNT {
            Vec::new()
        } else {
            self.store
                .list_entity_tags(&account_id, Tagged::new(kind, &stored))
                .await
                .map_err(|e| tag_error(e, kind, name))?
        };
        let scope = stored.to_lowercase();
        let listing = Listing {
            operation: listing_name(kind),
            scope: &scope,
            sorted_by: SortKey::Offset,
        };
        let (items, marker) = pagination::offset_page(&listing, marker, tags, max_items)?;
        Ok(Page { items, marker })
    }
}

/// Whether the operation only reads tags (ListPolicyTags and its kin).
fn kind_lists(ctx: &RequestContext) -> bool {
    ctx.operation.name().starts_with("List")
}
