//! Service-linked roles: CreateServiceLinkedRole, DeleteServiceLinkedRole and
//! GetServiceLinkedRoleDeletionStatus, and the protection AWS gives such roles against the
//! ordinary role operations.
//!
//! A service-linked role is a role whose `linked_service` is set: only
//! CreateServiceLinkedRole sets it, to the service principal, and puts the role under
//! `/aws-service-role/<principal>/`, a path CreateRole refuses (AWS's InvalidInput), so the
//! flag and the path always agree. Its name is the one AWS gives the service's role
//! (`SERVICE_ROLE_NAMES`, or `derived_role_name` for the rest), with `_<CustomSuffix>`
//! appended when one is given (refused for the services AWS refuses it for); its trust
//! policy lets the service principal `sts:AssumeRole`; its maximum session is an hour.
//! DeleteServiceLinkedRole deletes the role at once (iamd has no service that could still be
//! using it) and records a deletion task that GetServiceLinkedRoleDeletionStatus answers
//! `SUCCEEDED` for, durably. The service's AWS managed policy is not attached (iamd has
//! no AWS managed policies yet).

use crate::authz::Resource;
use crate::error::{ErrorCode, IamError};
use crate::ids;
use crate::model::{DeletionStatus, DeletionTask, Role};
use crate::role::MIN_SESSION_DURATION;
use crate::service::{store_failure, Iam, RequestContext};
use crate::store::StoreError;
use crate::store_errors::role_error;

/// Where every service-linked role lives: `/aws-service-role/<service principal>/`.
pub const SERVICE_ROLE_PATH: &str = "/aws-service-role/";

/// The longest role name AWS accepts (the model's `roleNameType`).
const ROLE_NAME_MAX: usize = 64;

/// The role names AWS gives well-known services' service-linked roles, and whether the
/// service takes a `CustomSuffix` (AWS refuses one for most: `Custom suffix is not allowed
/// for es.amazonaws.com`). Services not listed get `derived_role_name` and take a suffix.
pub const SERVICE_ROLE_NAMES: &[(&str, &str, bool)] = &[
    (
        "access-analyzer.amazonaws.com",
        "AWSServiceRoleForAccessAnalyzer",
        false,
    ),
    (
        "acm.amazonaws.com",
        "AWSServiceRoleForCertificateManager",
        false,
    ),
    (
        "autoscaling.amazonaws.com",
        "AWSServiceRoleForAutoScaling",
        true,
    ),
    ("backup.amazonaws.com", "AWSServiceRoleForBackup", false),
    ("batch.amazonaws.com", "AWSServiceRoleForBatch", false),
    (
        "cloudtrail.amazonaws.com",
        "AWSServiceRoleForCloudTrail",
        false,
    ),
    (
        "compute-optimizer.amazonaws.com",
        "AWSServiceRoleForComputeOptimizer",
        false,
    ),
    ("config.amazonaws.com", "AWSServiceRoleForConfig", false),
    (
        "connect.amazonaws.com",
        "AWSServiceRoleForAmazonConnect",
        true,
    ),
    (
        "dynamodb.application-autoscaling.amazonaws.com",
        "AWSServiceRoleForApplicationAutoScaling_DynamoDBTable",
        false,
    ),
    (
        "ec2.application-autoscaling.amazonaws.com",
        "AWSServiceRoleForApplicationAutoScaling_EC2SpotFleetRequest",
        false,
    ),
    ("ecs.amazonaws.com", "AWSServiceRoleForECS", false),
    (
        "ecs.application-autoscaling.amazonaws.com",
        "AWSServiceRoleForApplicationAutoScaling_ECSService",
        false,
    ),
    (
        "eks-fargate.amazonaws.com",
        "AWSServiceRoleForAmazonEKSForFargate",
        false,
    ),
    (
        "eks-nodegroup.amazonaws.com",
        "AWSServiceRoleForAmazonEKSNodegroup",
        false,
    ),
    ("eks.amazonaws.com", "AWSServiceRoleForAmazonEKS", false),
    (
        "elasticache.amazonaws.com",
        "AWSServiceRoleForElastiCache",
        false,
    ),
    (
        "elasticbeanstalk.amazonaws.com",
        "AWSServiceRoleForElasticBeanstalk",
        false,
    ),
    (
        "elasticfilesystem.amazonaws.com",
        "AWSServiceRoleForAmazonElasticFileSystem",
        false,
    ),
    (
        "elasticloadbalancing.amazonaws.com",
        "AWSServiceRoleForElasticLoadBalancing",
        false,
    ),
    (
        "elasticmapreduce.amazonaws.com",
        "AWSServiceRoleForEMRCleanup",
        false,
    ),
    (
        "es.amazonaws.com",
        "AWSServiceRoleForAmazonElasticsearchService",
        false,
    ),
    ("fsx.amazonaws.com", "AWSServiceRoleForAmazonFSx", false),
    (
        "globalaccelerator.amazonaws.com",
        "AWSServiceRoleForGlobalAccelerator",
        false,
    ),
    (
        "guardduty.amazonaws.com",
        "AWSServiceRoleForAmazonGuardDuty",
        false,
    ),
    (
        "inspector2.amazonaws.com",
        "AWSServiceRoleForAmazonInspector2",
        false,
    ),
    ("kafka.amazonaws.com", "AWSServiceRoleForKafka", false),
    (
        "lakeformation.amazonaws.com",
        "AWSServiceRoleForLakeFormationDataAccess",
        false,
    ),
    ("lexv2.amazonaws.com", "AWSServiceRoleForLexV2Bots", true),
    ("macie.amazonaws.com", "AWSServiceRoleForAmazonMacie", false),
    ("mq.amazonaws.com", "AWSServiceRoleForAmazonMQ", false),
    (
        "opensearchservice.amazonaws.com",
        "AWSServiceRoleForAmazonOpenSearchService",
        false,
    ),
    (
        "ops.apigateway.amazonaws.com",
        "AWSServiceRoleForAPIGateway",
        false,
    ),
    (
        "organizations.amazonaws.com",
        "AWSServiceRoleForOrganizations",
        false,
    ),
    (
        "ram.amazonaws.com",
        "AWSServiceRoleForResourceAccessManager",
        false,
    ),
    ("rds.amazonaws.com", "AWSServiceRoleForRDS", false),
    ("redshift.amazonaws.com", "AWSServiceRoleForRedshift", false),
    (
        "replicator.lambda.amazonaws.com",
        "AWSServiceRoleForLambdaReplicator",
        false,
    ),
    (
        "securityhub.amazonaws.com",
        "AWSServiceRoleForSecurityHub",
        false,
    ),
    ("spot.amazonaws.com", "AWSServiceRoleForEC2Spot", false),
    (
        "spotfleet.amazonaws.com",
        "AWSServiceRoleForEC2SpotFleet",
        false,
    ),
    ("ssm.amazonaws.com", "AWSServiceRoleForAmazonSSM", false),
    ("sso.amazonaws.com", "AWSServiceRoleForSSO", false),
    ("support.amazonaws.com", "AWSServiceRoleForSupport", false),
    (
        "transitgateway.amazonaws.com",
        "AWSServiceRoleForVPCTransitGateway",
        false,
    ),
    (
        "trustedadvisor.amazonaws.com",
        "AWSServiceRoleForTrustedAdvisor",
        false,
    ),
];

/// `foo-bar` as `FooBar`.
fn camel(label: &str) -> String {
    label
        .split('-')
        .map(|word| {
            let mut chars = word.chars();
            match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect::<String>(),
                None => String::new(),
            }
        })
        .collect()
}

/// The role name of a service not in `SERVICE_ROLE_NAMES`, derived as moto derives it:
/// `AWSServiceRoleFor` and the service's label (the one just before `.amazonaws.com`) in
/// camel case, then, when the principal has more labels before it, `_` and the first of
/// them in camel case: `foo-bar.amazonaws.com` → `AWSServiceRoleForFooBar`,
/// `custom-thing.foo.amazonaws.com` → `AWSServiceRoleForFoo_CustomThing`.
pub fn derived_role_name(service: &str) -> String {
    let labels: Vec<&str> = service
        .strip_suffix(".amazonaws.com")
        .unwrap_or(service)
        .split('.')
        .collect();
    let main = camel(labels.last().copied().unwrap_or_default());
    match labels.as_slice() {
        [first, _, ..] => format!("AWSServiceRoleFor{main}_{}", camel(first)),
        _ => format!("AWSServiceRoleFor{main}"),
    }
}

/// The role name for `service` and whether it takes a custom suffix.
pub fn service_role_name(service: &str) -> (String, bool) {
    match SERVICE_ROLE_NAMES.iter().find(|(s, _, _)| *s == service) {
        Some((_, name, suffix)) => ((*name).to_owned(), *suffix),
        None => (derived_role_name(service), true),
    }
}

/// The trust policy of a service-linked role: the service may assume it.
fn trust_policy(service: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Service":"{service}"}},"Action":"sts:AssumeRole"}}]}}"#
    )
}

/// A service principal: lower-case labels of letters, digits and hyphens, ending in
/// `.amazonaws.com`, with at least one label before it.
fn is_service_principal(service: &str) -> bool {
    service.strip_suffix(".amazonaws.com").is_some_and(|head| {
        !head.is_empty()
            && head.split('.').all(|label| {
                !label.is_empty()
                    && label
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            })
    })
}

fn invalid_input(message: String) -> IamError {
    IamError::new(ErrorCode::InvalidInput, message)
}

/// What AWS answers for a change to a service-linked role that only AWS may make.
pub fn protected_role(role_name: &str) -> IamError {
    IamError::new(
        ErrorCode::UnmodifiableEntity,
        format!(
            "Cannot perform the operation on the protected role '{role_name}' - this role is only modifiable by AWS"
        ),
    )
}

/// `Ok` unless `role` is service-linked (then UnmodifiableEntity).
pub fn modifiable(role: &Role) -> Result<(), IamError> {
    match role.linked_service {
        Some(_) => Err(protected_role(&role.role_name)),
        None => Ok(()),
    }
}

/// CreateRole's refusal of the service-linked roles' path.
pub fn check_role_path(path: &str) -> Result<(), IamError> {
    if path.starts_with(SERVICE_ROLE_PATH) {
        return Err(invalid_input(format!(
            "Path prefix '{SERVICE_ROLE_PATH}' can only be used for AWS Service linked Roles"
        )));
    }
    Ok(())
}

/// The service-linked role a deletion task id names, if it has the form DeleteServiceLinkedRole
/// gives: `task/aws-service-role/<principal>/<role name>/<uuid>`.
fn task_role(deletion_task_id: &str) -> Option<(&str, &str)> {
    let rest = deletion_task_id.strip_prefix("task/aws-service-role/")?;
    let mut parts = rest.split('/');
    let (service, role_name, uuid) = (parts.next()?, parts.next()?, parts.next()?);
    (parts.next().is_none() && !service.is_empty() && !role_name.is_empty() && !uuid.is_empty())
        .then_some((service, role_name))
}

impl Iam {
    pub async fn create_service_linked_role(
        &self,
        ctx: &RequestContext,
        service: &str,
        description: Option<String>,
        custom_suffix: Option<&str>,
    ) -> Result<Role, IamError> {
        let ctx = &ctx.with_key("iam:AWSServiceName", service);
        let (base_name, takes_suffix) = service_role_name(service);
        let role_name = match custom_suffix {
            Some(suffix) => format!("{base_name}_{suffix}"),
            None => base_name,
        };
        let role = Role {
            account_id: ctx.principal.account_id().to_owned(),
            role_id: ids::role_id(),
            role_name,
            path: format!("{SERVICE_ROLE_PATH}{service}/"),
            description,
            assume_role_policy_document: trust_policy(service),
            max_session_duration: MIN_SESSION_DURATION,
            create_date: ctx.now.replace_nanosecond(0).unwrap_or(ctx.now),
            tags: Vec::new(),
            session_secret: ids::secret_access_key().seal(&self.keyring),
            linked_service: Some(service.to_owned()),
        };
        self.authorize(ctx, ctx.action(), &Resource::arn(role.arn()))
            .await?;
        if !is_service_principal(service) {
            return Err(invalid_input(format!("Invalid service name: {service}")));
        }
        if custom_suffix.is_some() && !takes_suffix {
            return Err(invalid_input(format!(
                "Custom suffix is not allowed for {service}"
            )));
        }
        if role.role_name.len() > ROLE_NAME_MAX {
            return Err(invalid_input(format!(
                "The role name {} is longer than {ROLE_NAME_MAX} characters.",
                role.role_name
            )));
        }
        match self.store.create_role(&role).await {
            Ok(()) => Ok(role),
            Err(StoreError::AlreadyExists) => Err(invalid_input(format!(
                "Service role name {} has been taken in this account, please try a different suffix.",
                role.role_name
            ))),
            Err(e) => Err(role_error(e, &role.role_name)),
        }
    }

    /// Deletes a service-linked role; the deletion task's id.
    pub async fn delete_service_linked_role(
        &self,
        ctx: &RequestContext,
        role_name: &str,
    ) -> Result<String, IamError> {
        let role = self.role_for(ctx, role_name, ctx.action()).await?;
        let Some(service) = &role.linked_service else {
            return Err(IamError::new(
                ErrorCode::NoSuchEntity,
                format!("The role with name {role_name} is not a service-linked role."),
            ));
        };
        let task = DeletionTask {
            account_id: role.account_id.clone(),
            deletion_task_id: format!(
                "task{SERVICE_ROLE_PATH}{service}/{}/{}",
                role.role_name,
                ids::uuid()
            ),
            status: DeletionStatus::Succeeded,
            create_date: ctx.now.replace_nanosecond(0).unwrap_or(ctx.now),
        };
        let result = self
            .store
            .delete_service_linked_role(&role.account_id, &role.role_name, &task)
            .await
            .map_err(|e| role_error(e, role_name));
        self.authorizer.policies_changed();
        result.map(|()| task.deletion_task_id)
    }

    /// The status of a deletion task of the caller's account. Authorized on the role the
    /// task id names (gone by then); NoSuchEntity for an id iamd did not give.
    pub async fn service_linked_role_deletion_status(
        &self,
        ctx: &RequestContext,
        deletion_task_id: &str,
    ) -> Result<DeletionStatus, IamError> {
        let account = ctx.principal.account_id();
        let resource = match task_role(deletion_task_id) {
            Some((service, role_name)) => Resource::arn(format!(
                "arn:aws:iam::{account}:role{SERVICE_ROLE_PATH}{service}/{role_name}"
            )),
            None => Resource::any(),
        };
        self.authorize(ctx, ctx.action(), &resource).await?;
        let task = self
            .store
            .get_deletion_task(account, deletion_task_id)
            .await
            .map_err(store_failure)?;
        match task {
            Some(task) => Ok(task.status),
            None => Err(IamError::new(
                ErrorCode::NoSuchEntity,
                format!("Deletion task {deletion_task_id} cannot be found."),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_known_services_have_aws_names() {
        assert_eq!(
            service_role_name("autoscaling.amazonaws.com"),
            ("AWSServiceRoleForAutoScaling".to_owned(), true)
        );
        assert_eq!(
            service_role_name("elasticloadbalancing.amazonaws.com"),
            ("AWSServiceRoleForElasticLoadBalancing".to_owned(), false)
        );
        assert_eq!(
            service_role_name("eks.amazonaws.com").0,
            "AWSServiceRoleForAmazonEKS"
        );
        // The table is sorted and has each service once.
        assert!(SERVICE_ROLE_NAMES.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(SERVICE_ROLE_NAMES
            .iter()
            .all(|(s, n, _)| is_service_principal(s) && n.len() <= ROLE_NAME_MAX));
    }

    #[test]
    fn other_services_get_derived_names() {
        assert_eq!(
            service_role_name("foo-bar.amazonaws.com"),
            ("AWSServiceRoleForFooBar".to_owned(), true)
        );
        assert_eq!(
            derived_role_name("custom-thing.foo.amazonaws.com"),
            "AWSServiceRoleForFoo_CustomThing"
        );
    }

    #[test]
    fn service_principals_end_in_amazonaws_com() {
        assert!(is_service_principal("ecs.amazonaws.com"));
        assert!(is_service_principal("ops.apigateway.amazonaws.com"));
        for bad in [
            "ecs",
            ".amazonaws.com",
            "amazonaws.com",
            "ecs.example.com",
            "ECS.amazonaws.com",
            "a..b.amazonaws.com",
        ] {
            assert!(!is_service_principal(bad), "{bad}");
        }
    }

    #[test]
    fn task_ids_name_their_role() {
        assert_eq!(
            task_role("task/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS/1-2"),
            Some(("ecs.amazonaws.com", "AWSServiceRoleForECS"))
        );
        assert_eq!(task_role("task/other/ecs.amazonaws.com/x/1"), None);
        assert_eq!(task_role("task/aws-service-role/ecs.amazonaws.com/x"), None);
    }
}
