//! One page of a listing, fetched and parsed in its own task: the next page is on its way
//! while the current one is applied.

use tokio::task::JoinHandle;

use crate::api::{ClerkApi, PageError, Resource};
use crate::listed_page::ListedObject;

/// A page as listed, parsed.
pub(crate) struct ListedPage {
    /// The offset it was asked at.
    pub(crate) offset: usize,
    pub(crate) objects: Vec<ListedObject>,
    pub(crate) total_count: Option<u64>,
}

/// A page request running in the background (retried as the API's policy says). Dropped,
/// it is cancelled.
pub(crate) struct PageFetch(JoinHandle<Result<ListedPage, PageError>>);

impl PageFetch {
    /// Starts fetching `limit` objects of `resource` from `offset`.
    pub(crate) fn start(api: &ClerkApi, resource: Resource, limit: usize, offset: usize) -> Self {
        let api = api.clone();
        Self(tokio::spawn(async move {
            let page = api.page(resource, limit, offset).await?;
            let objects = page
                .items
                .into_iter()
                .map(|json| ListedObject::parse(resource, json))
                .collect();
            Ok(ListedPage {
                offset,
                objects,
                total_count: page.total_count,
            })
        }))
    }

    /// The page, or why it could not be read.
    pub(crate) async fn finish(mut self) -> Result<ListedPage, PageError> {
        match (&mut self.0).await {
            Ok(page) => page,
            Err(error) => Err(PageError::Incomplete(format!(
                "the request for the page failed: {error}"
            ))),
        }
    }
}

impl Drop for PageFetch {
    fn drop(&mut self) {
        self.0.abort();
    }
}
