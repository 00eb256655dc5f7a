//! Which service a request addresses. The operations themselves are in `generated`.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    Iam,
    Sts,
}

impl Service {
    pub fn namespace(self) -> &'static str {
        match self {
            Service::Iam => "https://iam.amazonaws.com/doc/2010-05-08/",
            Service::Sts => "https://sts.amazonaws.com/doc/2011-06-15/",
        }
    }

    pub fn version(self) -> &'static str {
        match self {
            Service::Iam => "2010-05-08",
            Service::Sts => "2011-06-15",
        }
    }

    /// The SigV4 signing name of the service.
    pub fn signing_name(self) -> &'static str {
        match self {
            Service::Iam => "iam",
            Service::Sts => "sts",
        }
    }

    /// The service a request addresses: by `Version`, else by the signing name in its
    /// credential scope, else IAM.
    pub fn select(version: Option<&str>, signing_name: Option<&str>) -> Service {
        match (version, signing_name) {
            (Some("2011-06-15"), _) => Service::Sts,
            (Some("2010-05-08"), _) => Service::Iam,
            (_, Some("sts")) => Service::Sts,
            _ => Service::Iam,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generated::Operation;

    #[test]
    fn dispatch() {
        assert_eq!(
            Operation::find(Service::Iam, "ListAccessKeys"),
            Some(Operation::ListAccessKeys)
        );
        assert_eq!(Operation::find(Service::Iam, "listaccesskeys"), None);
        assert_eq!(Operation::find(Service::Iam, "GetCallerIdentity"), None);
        assert_eq!(
            Operation::find(Service::Sts, "GetCallerIdentity"),
            Some(Operation::GetCallerIdentity)
        );
        assert_eq!(Service::select(None, Some("sts")), Service::Sts);
        assert_eq!(
            Service::select(Some("2010-05-08"), Some("sts")),
            Service::Iam
        );
    }

    #[test]
    fn the_table_holds_both_models() {
        assert_eq!(Operation::ALL.len(), 193);
        let iam = Operation::ALL
            .iter()
            .filter(|op| op.service() == Service::Iam)
            .count();
        assert_eq!(iam, 181);
        let mut names = std::collections::HashSet::new();
        for &op in Operation::ALL {
            assert!(names.insert(op.name()), "{} twice", op.name());
            assert_eq!(Operation::find(op.service(), op.name()), Some(op));
            let prefix = match op.service() {
                Service::Iam => "iam:",
                Service::Sts => "sts:",
            };
            assert_eq!(op.action(), format!("{prefix}{}", op.name()));
        }
        assert_eq!(
            Operation::CreateUser.errors()[0],
            crate::DeclaredError {
                code: "LimitExceeded",
                status: 409
            }
        );
        assert!(Operation::AssumeRoleWithWebIdentity.unsigned());
        assert!(!Operation::AssumeRole.unsigned());
    }
}
