//! The types every framework integration exports, defined once.

/// Defines the two types every framework integration exports, identically:
/// `ClerkWebhook` (a verified delivery; `.0` or `Deref` to [`VerifiedWebhook`](crate::VerifiedWebhook)) and
/// `WebhookRejection` (a [`Rejection`](crate::Rejection) the integration turns into its framework's
/// response). The integration then implements its framework's extractor and response traits
/// for them.
#[doc(hidden)]
#[macro_export]
macro_rules! integration_types {
    () => {
        /// A verified Clerk delivery: `.0`, or `Deref` to
        /// [`VerifiedWebhook`](crate::VerifiedWebhook)(clerk_webhook_core::VerifiedWebhook).
        #[derive(Debug, Clone)]
        pub struct ClerkWebhook(pub $crate::VerifiedWebhook);

        impl ::std::ops::Deref for ClerkWebhook {
            type Target = $crate::VerifiedWebhook;

            fn deref(&self) -> &$crate::VerifiedWebhook {
                &self.0
            }
        }

        /// Why [`ClerkWebhook`] refused a request; it answers with the status and plain text
        /// the contract in `crates/README.md` lists.
        #[derive(Debug)]
        pub struct WebhookRejection(pub $crate::Rejection);

        impl WebhookRejection {
            /// The reason, for a handler that shapes its own response.
            #[must_use]
            pub fn reason(&self) -> &$crate::Rejection {
                &self.0
            }
        }

        impl ::std::convert::From<$crate::Rejection> for WebhookRejection {
            fn from(rejection: $crate::Rejection) -> Self {
                Self(rejection)
            }
        }

        impl ::std::fmt::Display for WebhookRejection {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                ::std::fmt::Display::fmt(&self.0, f)
            }
        }

        impl ::std::error::Error for WebhookRejection {
            fn source(&self) -> ::std::option::Option<&(dyn ::std::error::Error + 'static)> {
                ::std::error::Error::source(&self.0)
            }
        }
    };
}
