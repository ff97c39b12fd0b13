//! Which regions' clients list a queue.
//!
//! polyq keeps one namespace of queue names for every dialect (an SQS queue is the MNS and
//! Azure queue of the same name), so two regions cannot hold two queues of one name. What AWS
//! clients do observe is that `ListQueues` answers with the queues of the region they sign
//! for (moto's and LocalStack's multi-region tests, AWS itself): a queue created by an SQS
//! client records the region of its credential scope, and a signed `ListQueues` lists only
//! the queues recorded for its region, plus those recorded for none (made by MNS, Azure, the
//! 2007 REST API or an unsigned request), which every region lists.

use polyq_core::QueueConfig;

/// Key in `QueueConfig::extras`: the regions whose clients created the queue, space-separated.
pub const REGIONS_KEY: &str = "sqs:Regions";

/// Whether a `ListQueues` of a client of `region` (`None`: unsigned) lists the queue.
pub fn listed_in(config: &QueueConfig, region: Option<&str>) -> bool {
    let (Some(region), Some(recorded)) = (region, config.extras.get(REGIONS_KEY)) else {
        return true;
    };
    recorded.split(' ').any(|r| r == region)
}

/// Records `region` as one whose clients list the queue. `false` when there is nothing to
/// record: the region is there already, or the queue is listed in every region.
pub fn record(config: &mut QueueConfig, region: &str, created: bool) -> bool {
    match config.extras.get_mut(REGIONS_KEY) {
        Some(recorded) if recorded.split(' ').any(|r| r == region) => false,
        Some(recorded) => {
            recorded.push(' ');
            recorded.push_str(region);
            true
        }
        // A queue made without a region is listed everywhere; a later CreateQueue of a
        // signed client must not narrow that.
        None if !created => false,
        None => {
            config.extras.insert(REGIONS_KEY.into(), region.to_string());
            true
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_queue_is_listed_in_the_regions_that_created_it() {
        let mut c = QueueConfig::default();
        assert!(record(&mut c, "us-west-1", true));
        assert!(listed_in(&c, Some("us-west-1")));
        assert!(!listed_in(&c, Some("us-west-2")));
        assert!(listed_in(&c, None), "an unsigned listing sees every queue");
        assert!(record(&mut c, "us-west-2", false));
        assert!(!record(&mut c, "us-west-2", false));
        assert!(listed_in(&c, Some("us-west-2")));
        assert!(!listed_in(&c, Some("us-west")), "whole names only");
    }

    #[test]
    fn a_queue_made_without_a_region_is_listed_everywhere() {
        let mut c = QueueConfig::default();
        assert!(listed_in(&c, Some("eu-central-1")));
        assert!(!record(&mut c, "eu-central-1", false));
        assert!(listed_in(&c, Some("ap-south-1")));
    }
}
