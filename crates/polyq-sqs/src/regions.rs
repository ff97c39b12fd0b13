//! Which regions' clients list a queue.
//!
//! polyq keeps one namespace of queue names for every dialect (an SQS queue is the MNS and
//! Azure queue of the same name), so two regions cannot hold two queues of one name. What AWS
//! clients do observe is that `ListQueues` answers with the queues of the region they sign
//! for (moto's and LocalStack's multi-region tests, AWS itself): a queue created by an SQS
//! client records the region of its credential scope, and a signed `ListQueues` lists only
//! the queues recorded for its region, plus those recorded for none (made by MNS, Azure, the
//! 2007 REST API or an unsigned request), which every region lists. A `CreateQueue` of the
//! name from another region answers that queue as it is (on AWS it would be a new queue with
//! the attributes asked for) and records nothing.

use polyq_core::QueueConfig;

/// Key in `QueueConfig::extras`: the region whose client created the queue (space-separated
/// regions are read too).
pub const REGIONS_KEY: &str = "sqs:Regions";

/// Whether a `ListQueues` of a client of `region` (`None`: unsigned) lists the queue.
pub fn listed_in(config: &QueueConfig, region: Option<&str>) -> bool {
    let (Some(region), Some(recorded)) = (region, config.extras.get(REGIONS_KEY)) else {
        return true;
    };
    recorded.split(' ').any(|r| r == region)
}

/// Records `region` as the one whose clients list a queue being created.
pub fn record_creator(config: &mut QueueConfig, region: &str) {
    config.extras.insert(REGIONS_KEY.into(), region.to_string());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_queue_is_listed_in_the_region_that_created_it() {
        let mut c = QueueConfig::default();
        assert!(
            listed_in(&c, Some("eu-central-1")),
            "made without a region: everywhere"
        );
        record_creator(&mut c, "us-west-1");
        assert!(listed_in(&c, Some("us-west-1")));
        assert!(!listed_in(&c, Some("us-west-2")));
        assert!(!listed_in(&c, Some("us-west")), "whole names only");
        assert!(listed_in(&c, None), "an unsigned listing sees every queue");
    }
}
