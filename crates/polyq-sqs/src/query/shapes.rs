//! Hand-written per-operation shape knowledge for the SQS query protocol.
//!
//! Member names (`json`) are those of the AWS JSON 1.0 protocol (current
//! botocore model); element/parameter names (`xml`) are those of the last
//! query-protocol model (botocore 1.31.50, `locationName` of members and of
//! list members). Every list and map in SQS is *flattened*, so a list member
//! is written as repeated `<Item>` elements / `Item.N` parameters, and a map
//! member as repeated `<Entry><Key/><Value/></Entry>` / `Entry.N.Key` +
//! `Entry.N.Value`. Fields are listed in model order, which is also the
//! element order of the XML output.

/// The type of a member.
#[derive(Debug)]
pub(crate) enum Ty {
    /// `string`.
    Str,
    /// `integer` (32-bit).
    Int,
    /// `long` (64-bit).
    Long,
    /// `boolean`.
    Bool,
    /// `blob`: a base64 string on both protocols, passed through unchanged.
    Blob,
    /// A flattened list; the field's `xml` name is the name of each item.
    List(&'static Ty),
    /// A flattened map; the field's `xml` name is the name of each entry.
    Map {
        key: &'static str,
        value: &'static str,
        ty: &'static Ty,
    },
    /// A structure.
    Struct(&'static [Field]),
}

/// One member of a structure.
#[derive(Debug)]
pub(crate) struct Field {
    /// Member name in the JSON protocol.
    pub json: &'static str,
    /// Parameter / element name in the query protocol.
    pub xml: &'static str,
    pub ty: &'static Ty,
}

/// One operation.
#[derive(Debug)]
pub(crate) struct Op {
    pub name: &'static str,
    pub input: &'static [Field],
    /// `None` when the operation has no output shape (no `<XResult>` element).
    pub output: Option<&'static [Field]>,
}

static STR: Ty = Ty::Str;
static INT: Ty = Ty::Int;
static LONG: Ty = Ty::Long;
static BOOL: Ty = Ty::Bool;
static BLOB: Ty = Ty::Blob;
static STR_LIST: Ty = Ty::List(&STR);
static BLOB_LIST: Ty = Ty::List(&BLOB);

const fn f(json: &'static str, ty: &'static Ty) -> Field {
    Field {
        json,
        xml: json,
        ty,
    }
}
const fn s(json: &'static str) -> Field {
    f(json, &STR)
}
const fn int(json: &'static str) -> Field {
    f(json, &INT)
}
const fn long(json: &'static str) -> Field {
    f(json, &LONG)
}
const fn named(json: &'static str, xml: &'static str, ty: &'static Ty) -> Field {
    Field { json, xml, ty }
}
/// A flattened list of strings whose items are named `xml`.
const fn strs(json: &'static str, xml: &'static str) -> Field {
    named(json, xml, &STR_LIST)
}

/// `Attribute.N.Name` / `Attribute.N.Value` (queue attributes and message
/// system attributes on receive).
static ATTRIBUTE_MAP: Ty = Ty::Map {
    key: "Name",
    value: "Value",
    ty: &STR,
};
/// `Tag.N.Key` / `Tag.N.Value`.
static TAG_MAP: Ty = Ty::Map {
    key: "Key",
    value: "Value",
    ty: &STR,
};
/// MessageAttributeValue and MessageSystemAttributeValue (same members).
static ATTR_VALUE: Ty = Ty::Struct(&[
    s("StringValue"),
    f("BinaryValue", &BLOB),
    named("StringListValues", "StringListValue", &STR_LIST),
    named("BinaryListValues", "BinaryListValue", &BLOB_LIST),
    s("DataType"),
]);
/// `MessageAttribute.N.Name` / `MessageAttribute.N.Value.*`.
static ATTR_VALUE_MAP: Ty = Ty::Map {
    key: "Name",
    value: "Value",
    ty: &ATTR_VALUE,
};

const fn attributes() -> Field {
    named("Attributes", "Attribute", &ATTRIBUTE_MAP)
}
const fn message_attributes() -> Field {
    named("MessageAttributes", "MessageAttribute", &ATTR_VALUE_MAP)
}
const fn message_system_attributes() -> Field {
    named(
        "MessageSystemAttributes",
        "MessageSystemAttribute",
        &ATTR_VALUE_MAP,
    )
}

static BATCH_ERROR: Ty = Ty::Struct(&[s("Id"), f("SenderFault", &BOOL), s("Code"), s("Message")]);
const fn failed() -> Field {
    named("Failed", "BatchResultErrorEntry", &FAILED_LIST)
}
static ID_ENTRY: Ty = Ty::Struct(&[s("Id")]);

static CMV_ENTRY_LIST: Ty = Ty::List(&Ty::Struct(&[
    s("Id"),
    s("ReceiptHandle"),
    int("VisibilityTimeout"),
]));
static CMV_RESULT_LIST: Ty = Ty::List(&ID_ENTRY);
static DM_ENTRY_LIST: Ty = Ty::List(&Ty::Struct(&[s("Id"), s("ReceiptHandle")]));
static DM_RESULT_LIST: Ty = Ty::List(&ID_ENTRY);
static FAILED_LIST: Ty = Ty::List(&BATCH_ERROR);
static SM_ENTRY_LIST: Ty = Ty::List(&Ty::Struct(&[
    s("Id"),
    s("MessageBody"),
    int("DelaySeconds"),
    message_attributes(),
    message_system_attributes(),
    s("MessageDeduplicationId"),
    s("MessageGroupId"),
]));
static SM_RESULT_LIST: Ty = Ty::List(&Ty::Struct(&[
    s("Id"),
    s("MessageId"),
    s("MD5OfMessageBody"),
    s("MD5OfMessageAttributes"),
    s("MD5OfMessageSystemAttributes"),
    s("SequenceNumber"),
]));
static MESSAGE_LIST: Ty = Ty::List(&Ty::Struct(&[
    s("MessageId"),
    s("ReceiptHandle"),
    s("MD5OfBody"),
    s("Body"),
    attributes(),
    s("MD5OfMessageAttributes"),
    message_attributes(),
]));
static MOVE_TASK_LIST: Ty = Ty::List(&Ty::Struct(&[
    s("TaskHandle"),
    s("Status"),
    s("SourceArn"),
    s("DestinationArn"),
    int("MaxNumberOfMessagesPerSecond"),
    long("ApproximateNumberOfMessagesMoved"),
    long("ApproximateNumberOfMessagesToMove"),
    s("FailureReason"),
    long("StartedTimestamp"),
]));

const QUEUE_URL: Field = s("QueueUrl");

/// All 23 operations of SQS API version 2012-11-05, sorted by name.
pub(crate) static OPS: &[Op] = &[
    Op {
        name: "AddPermission",
        input: &[
            QUEUE_URL,
            s("Label"),
            strs("AWSAccountIds", "AWSAccountId"),
            strs("Actions", "ActionName"),
        ],
        output: None,
    },
    Op {
        name: "CancelMessageMoveTask",
        input: &[s("TaskHandle")],
        output: Some(&[long("ApproximateNumberOfMessagesMoved")]),
    },
    Op {
        name: "ChangeMessageVisibility",
        input: &[QUEUE_URL, s("ReceiptHandle"), int("VisibilityTimeout")],
        output: None,
    },
    Op {
        name: "ChangeMessageVisibilityBatch",
        input: &[
            QUEUE_URL,
            named(
                "Entries",
                "ChangeMessageVisibilityBatchRequestEntry",
                &CMV_ENTRY_LIST,
            ),
        ],
        output: Some(&[
            named(
                "Successful",
                "ChangeMessageVisibilityBatchResultEntry",
                &CMV_RESULT_LIST,
            ),
            failed(),
        ]),
    },
    Op {
        name: "CreateQueue",
        input: &[s("QueueName"), attributes(), named("tags", "Tag", &TAG_MAP)],
        output: Some(&[QUEUE_URL]),
    },
    Op {
        name: "DeleteMessage",
        input: &[QUEUE_URL, s("ReceiptHandle")],
        output: None,
    },
    Op {
        name: "DeleteMessageBatch",
        input: &[
            QUEUE_URL,
            named("Entries", "DeleteMessageBatchRequestEntry", &DM_ENTRY_LIST),
        ],
        output: Some(&[
            named(
                "Successful",
                "DeleteMessageBatchResultEntry",
                &DM_RESULT_LIST,
            ),
            failed(),
        ]),
    },
    Op {
        name: "DeleteQueue",
        input: &[QUEUE_URL],
        output: None,
    },
    Op {
        name: "GetQueueAttributes",
        input: &[QUEUE_URL, strs("AttributeNames", "AttributeName")],
        output: Some(&[attributes()]),
    },
    Op {
        name: "GetQueueUrl",
        input: &[s("QueueName"), s("QueueOwnerAWSAccountId")],
        output: Some(&[QUEUE_URL]),
    },
    Op {
        name: "ListDeadLetterSourceQueues",
        input: &[QUEUE_URL, s("NextToken"), int("MaxResults")],
        output: Some(&[strs("queueUrls", "QueueUrl"), s("NextToken")]),
    },
    Op {
        name: "ListMessageMoveTasks",
        input: &[s("SourceArn"), int("MaxResults")],
        output: Some(&[named(
            "Results",
            "ListMessageMoveTasksResultEntry",
            &MOVE_TASK_LIST,
        )]),
    },
    Op {
        name: "ListQueueTags",
        input: &[QUEUE_URL],
        output: Some(&[named("Tags", "Tag", &TAG_MAP)]),
    },
    Op {
        name: "ListQueues",
        input: &[s("QueueNamePrefix"), s("NextToken"), int("MaxResults")],
        output: Some(&[strs("QueueUrls", "QueueUrl"), s("NextToken")]),
    },
    Op {
        name: "PurgeQueue",
        input: &[QUEUE_URL],
        output: None,
    },
    Op {
        name: "ReceiveMessage",
        input: &[
            QUEUE_URL,
            strs("AttributeNames", "AttributeName"),
            // Only in the current (JSON) model; no query-era SDK sends it.
            strs("MessageSystemAttributeNames", "MessageSystemAttributeName"),
            strs("MessageAttributeNames", "MessageAttributeName"),
            int("MaxNumberOfMessages"),
            int("VisibilityTimeout"),
            int("WaitTimeSeconds"),
            s("ReceiveRequestAttemptId"),
        ],
        output: Some(&[named("Messages", "Message", &MESSAGE_LIST)]),
    },
    Op {
        name: "RemovePermission",
        input: &[QUEUE_URL, s("Label")],
        output: None,
    },
    Op {
        name: "SendMessage",
        input: &[
            QUEUE_URL,
            s("MessageBody"),
            int("DelaySeconds"),
            message_attributes(),
            message_system_attributes(),
            s("MessageDeduplicationId"),
            s("MessageGroupId"),
        ],
        output: Some(&[
            s("MD5OfMessageBody"),
            s("MD5OfMessageAttributes"),
            s("MD5OfMessageSystemAttributes"),
            s("MessageId"),
            s("SequenceNumber"),
        ]),
    },
    Op {
        name: "SendMessageBatch",
        input: &[
            QUEUE_URL,
            named("Entries", "SendMessageBatchRequestEntry", &SM_ENTRY_LIST),
        ],
        output: Some(&[
            named("Successful", "SendMessageBatchResultEntry", &SM_RESULT_LIST),
            failed(),
        ]),
    },
    Op {
        name: "SetQueueAttributes",
        input: &[QUEUE_URL, attributes()],
        output: None,
    },
    Op {
        name: "StartMessageMoveTask",
        input: &[
            s("SourceArn"),
            s("DestinationArn"),
            int("MaxNumberOfMessagesPerSecond"),
        ],
        output: Some(&[s("TaskHandle")]),
    },
    Op {
        name: "TagQueue",
        input: &[QUEUE_URL, named("Tags", "Tag", &TAG_MAP)],
        output: None,
    },
    Op {
        name: "UntagQueue",
        input: &[QUEUE_URL, strs("TagKeys", "TagKey")],
        output: None,
    },
];

/// Looks an operation up by its exact (case-sensitive) name.
pub(crate) fn op(name: &str) -> Option<&'static Op> {
    OPS.binary_search_by(|op| op.name.cmp(name))
        .ok()
        .map(|i| &OPS[i])
}
