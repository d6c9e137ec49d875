"""Customer records: the shared archive (read views), editing, duplicates and ownership.

The services are re-exported here so a caller can write `customers.create_customer(...)`; each
lives in the module named for its rule.
"""

from core.customers.archive import (
    SORTS,
    CustomerDetail,
    CustomerFilters,
    CustomerSummary,
    can_edit,
    can_reassign,
    count_customers,
    customer_detail,
    export_customers,
    filter_options,
    search_customers,
)
from core.customers.duplicates import DuplicateCandidate, LikelyDuplicate, find_duplicates
from core.customers.editing import (
    ContactInput,
    CustomerInput,
    CustomerUpdate,
    add_contact,
    create_customer,
    remove_contact,
    touch_last_activity,
    update_contact,
    update_customer,
)
from core.customers.names import normalize_name
from core.customers.ownership import (
    MergeResult,
    ReassignResult,
    merge_customers,
    reassign_book,
    reassign_customers,
)
from core.customers.timeline import customer_timeline

__all__ = [
    "SORTS",
    "ContactInput",
    "CustomerDetail",
    "CustomerFilters",
    "CustomerInput",
    "CustomerSummary",
    "CustomerUpdate",
    "DuplicateCandidate",
    "LikelyDuplicate",
    "MergeResult",
    "ReassignResult",
    "add_contact",
    "can_edit",
    "can_reassign",
    "count_customers",
    "create_customer",
    "customer_detail",
    "customer_timeline",
    "export_customers",
    "filter_options",
    "find_duplicates",
    "merge_customers",
    "normalize_name",
    "reassign_book",
    "reassign_customers",
    "remove_contact",
    "search_customers",
    "touch_last_activity",
    "update_contact",
    "update_customer",
]
