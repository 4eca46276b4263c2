//! A/B experiments: the owner's `experiment` setting read as a typed [`ExperimentSpec`] (two
//! arms of one thing: the first message's delay, the template's copy, or a coupon on or off),
//! and the stable assignment of a cart to an arm. Pure: no storage, no clock.
//!
//! The assignment hashes the experiment's id, the store and the checkout id with FNV-1a (fixed
//! forever, like the holdout's), under its own salt: independent of the holdout's draw, the same
//! on every run and version, and reshuffled for each new experiment. Holdout carts are never
//! assigned (the caller leaves them out).

use std::fmt;

/// The thing an experiment varies between its two arms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExperimentSpec {
    /// Minutes after the cart was abandoned (detected) before its first message may go.
    Delay(u32, u32),
    /// The recovery template's name for each arm (its copy).
    Template(String, String),
    /// A coupon in the message (arm A) or none (arm B).
    Coupon,
}

/// The longest delay an arm may ask for, in minutes (a day: a later first message is a
/// different product, and `max_cart_age_hours` would skip most carts anyway).
pub const MAX_ARM_DELAY_MINUTES: u32 = 1440;

/// Why an `experiment` value is not one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError;

impl ExperimentSpec {
    /// Reads `delay:A,B`, `template:NAME_A,NAME_B` or `coupon:on,off` (spaces and case around the
    /// parts are forgiven). Two arms, and they must differ.
    pub fn parse(text: &str) -> Result<ExperimentSpec, SpecError> {
        let (kind, arms) = text.trim().split_once(':').ok_or(SpecError)?;
        let parts: Vec<&str> = arms.split(',').map(str::trim).collect();
        let [a, b] = parts.as_slice() else { return Err(SpecError) };
        let spec = match kind.trim().to_ascii_lowercase().as_str() {
            "delay" => {
                let minutes =
                    |v: &str| v.parse::<u32>().ok().filter(|m| *m <= MAX_ARM_DELAY_MINUTES).ok_or(SpecError);
                ExperimentSpec::Delay(minutes(a)?, minutes(b)?)
            }
            "template" => {
                let name = |v: &str| {
                    let ok = !v.is_empty()
                        && v.len() <= 512
                        && v.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
                    ok.then(|| v.to_string()).ok_or(SpecError)
                };
                ExperimentSpec::Template(name(a)?, name(b)?)
            }
            "coupon" if a.eq_ignore_ascii_case("on") && b.eq_ignore_ascii_case("off") => {
                ExperimentSpec::Coupon
            }
            _ => return Err(SpecError),
        };
        match &spec {
            ExperimentSpec::Delay(a, b) if a == b => Err(SpecError),
            ExperimentSpec::Template(a, b) if a == b => Err(SpecError),
            _ => Ok(spec),
        }
    }

    /// `delay`, `template` or `coupon`.
    pub fn kind(&self) -> &'static str {
        match self {
            ExperimentSpec::Delay(..) => "delay",
            ExperimentSpec::Template(..) => "template",
            ExperimentSpec::Coupon => "coupon",
        }
    }

    /// What each arm does, as the setting spells it (`15`, `recupero_short`, `on`).
    pub fn arm_values(&self) -> [String; 2] {
        match self {
            ExperimentSpec::Delay(a, b) => [a.to_string(), b.to_string()],
            ExperimentSpec::Template(a, b) => [a.clone(), b.clone()],
            ExperimentSpec::Coupon => ["on".into(), "off".into()],
        }
    }
}

/// The canonical text: what is stored as the experiment's spec and compared on change.
impl fmt::Display for ExperimentSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b] = self.arm_values();
        write!(f, "{}:{a},{b}", self.kind())
    }
}

/// One of the two arms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arm {
    A,
    B,
}

impl Arm {
    pub fn index(self) -> usize {
        match self {
            Arm::A => 0,
            Arm::B => 1,
        }
    }

    pub fn from_index(i: i64) -> Option<Arm> {
        match i {
            0 => Some(Arm::A),
            1 => Some(Arm::B),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Arm::A => "A",
            Arm::B => "B",
        }
    }
}

/// FNV-1a, 64 bits (the holdout's hash, with another salt below).
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// SplitMix64's finalizer: spreads every input bit over every output bit (FNV's low bits alone
/// are close to the parity of the input's, far from a coin toss).
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The arm of a checkout in experiment `experiment_id`: the same answer for the same store and
/// checkout id on every run, about half the carts each way.
pub fn arm_of(experiment_id: i64, store_id: i64, external_id: &str) -> Arm {
    let h = mix(fnv1a(format!("experiment:{experiment_id}:{store_id}:{external_id}").as_bytes()));
    if h >> 63 == 0 {
        Arm::A
    } else {
        Arm::B
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_kinds_parse_and_anything_else_is_refused() {
        assert_eq!(ExperimentSpec::parse("delay:15,60"), Ok(ExperimentSpec::Delay(15, 60)));
        assert_eq!(ExperimentSpec::parse(" Delay: 0 , 45 "), Ok(ExperimentSpec::Delay(0, 45)));
        assert_eq!(
            ExperimentSpec::parse("template:recupero_a,recupero_b"),
            Ok(ExperimentSpec::Template("recupero_a".into(), "recupero_b".into()))
        );
        assert_eq!(ExperimentSpec::parse("coupon:on,off"), Ok(ExperimentSpec::Coupon));
        for bad in [
            "",
            "delay",
            "delay:15",
            "delay:15,15",
            "delay:15,60,90",
            "delay:-5,10",
            "delay:10,1441",
            "template:Recupero,b",
            "template:a,a",
            "template:a,",
            "coupon:off,on",
            "coupon:on",
            "copy:a,b",
        ] {
            assert_eq!(ExperimentSpec::parse(bad), Err(SpecError), "{bad:?}");
        }
        assert_eq!(ExperimentSpec::parse(" Delay: 0 , 45 ").unwrap().to_string(), "delay:0,45");
    }

    #[test]
    fn arms_split_about_half_and_half_independently_of_the_holdout() {
        let a = (0..10_000).filter(|i| arm_of(1, 1, &(411_300_000 + i).to_string()) == Arm::A).count();
        assert!((4_800..=5_200).contains(&a), "about half in A, got {a}");
        // Another experiment draws again: about half the carts change arm.
        let moved =
            (0..10_000).filter(|i| arm_of(1, 1, &i.to_string()) != arm_of(2, 1, &i.to_string())).count();
        assert!((4_700..=5_300).contains(&moved), "{moved}");
    }

    /// Pinned values: a change of hash or salt would silently move carts between arms of a
    /// running experiment after an update.
    #[test]
    fn the_assignment_is_pinned() {
        assert_eq!(fnv1a(b"experiment:1:1:411300000"), PINNED_HASH);
        assert_eq!(arm_of(1, 1, "411300000"), PINNED_ARM);
        let arms: String = (0..16).map(|i| arm_of(7, 2, &format!("chk-{i}")).label()).collect();
        assert_eq!(arms, PINNED_ARMS);
    }

    const PINNED_HASH: u64 = 11_778_361_433_729_506_749;
    const PINNED_ARM: Arm = Arm::A;
    const PINNED_ARMS: &str = "ABBBBBBBAABBAAAA";
}
