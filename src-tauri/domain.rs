//! The domain: shop-independent values (money, phones, carts, business hours) parsed once at
//! the edge and valid by construction afterwards. No I/O, no clock reads, no panics on input.

pub mod cart;
pub mod cart_error;
pub mod customer;
pub mod escalation;
pub mod experiment;
pub mod hours;
pub mod hours_spec;
pub mod line_item;
pub mod link;
pub mod money;
pub mod money_format;
pub mod opt_out;
pub mod phone;
pub mod phrases;
pub mod send_plan;
pub mod template_state;
pub mod time;
pub mod user_id;

pub use cart::{Cart, CartDraft, Contact, ExternalId, StoreId};
pub use cart_error::CartError;
pub use customer::{Customer, Language};
pub use hours::{BusinessHours, HoursError, TimeRange};
pub use line_item::LineItem;
pub use link::RecoveryLink;
pub use money::{Currency, Money, MoneyError};
pub use phone::{Phone, PhoneError};
pub use template_state::TemplateState;
