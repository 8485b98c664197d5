//! Every word a guest or a vendor reads, per language, as data: one `Catalog` per language, found
//! by language tag. To add a language, write its catalog and list it in `CATALOGS`.
//!
//! Placeholders are `{name}`; each message fills the same names in every language (the tests
//! check that none is left over). Calendar names and number separators follow CLDR.

/// A message's subject and plain-text body.
#[derive(Debug, Clone, Copy)]
pub struct Template {
    pub subject: &'static str,
    pub body: &'static str,
}

/// How a language writes dates and times.
#[derive(Debug, Clone, Copy)]
pub struct Calendar {
    /// Monday first.
    pub weekdays: [&'static str; 7],
    pub months: [&'static str; 12],
    /// `{weekday}`, `{day}`, `{month}`, `{year}`.
    pub date: &'static str,
    /// `{date}`, `{time}` (24-hour `HH:MM`).
    pub date_time: &'static str,
}

/// How a language writes amounts of money.
#[derive(Debug, Clone, Copy)]
pub struct Numbers {
    pub group: &'static str,
    pub decimal: &'static str,
    /// `{amount}` and `{symbol}`; a currency without a symbol of its own shows its code.
    pub money: &'static str,
    /// Used instead of `money` when the symbol is a code (`CHF 12.50`, not `CHF12.50`).
    pub money_code: &'static str,
}

/// Pieces the messages are put together from.
#[derive(Debug, Clone, Copy)]
pub struct Phrases {
    pub one_guest: &'static str,
    /// `{count}`.
    pub guests: &'static str,
    /// `{arrival}` (date and time), `{check_out}` (date).
    pub stay: &'static str,
    /// `{refund}`.
    pub refund: &'static str,
    /// `{refund}`, `{kept}`.
    pub partial_refund: &'static str,
    /// `{kept}`.
    pub no_refund: &'static str,
    pub nothing_paid: &'static str,
    /// `{kept}`.
    pub no_show_fee: &'static str,
    pub no_show_no_fee: &'static str,
    /// `{deadline}`.
    pub free_cancellation_until: &'static str,
    pub free_cancellation: &'static str,
    /// `{before}`, `{after}` in each.
    pub changed_when: &'static str,
    pub changed_party: &'static str,
    pub changed_type: &'static str,
    pub changed_total: &'static str,
    /// How to pay a hold's deposit: `{deposit}`, `{pay_by}`, `{link}` (the guest app's page).
    pub pay_by_link: &'static str,
    /// The same without a guest app to link to: `{deposit}`, `{pay_by}`.
    pub pay_in_app: &'static str,
    /// The greeting when the name is not known.
    pub hello: &'static str,
    /// `{name}`.
    pub hello_name: &'static str,
    /// After the room type's name: `{number}`.
    pub in_room: &'static str,
    /// After the table type's name: `{number}`.
    pub at_table: &'static str,
    /// The welcome's line for a stay checked in on the phone.
    pub digital_key: &'static str,
}

/// The short texts sent by SMS.
#[derive(Debug, Clone, Copy)]
pub struct Texts {
    pub confirmed: &'static str,
    pub cancelled: &'static str,
    pub reminder: &'static str,
    /// Also `{unit}` (`, room 214`, or empty).
    pub checked_in: &'static str,
    pub checked_out: &'static str,
}

/// Everything in one language.
#[derive(Debug, Clone, Copy)]
pub struct Catalog {
    /// The BCP 47 tag it is found by (a language, or a language and region).
    pub tag: &'static str,
    pub calendar: Calendar,
    pub numbers: Numbers,
    pub phrases: Phrases,
    /// `{hello}`, `{vendor}`, `{what}`, `{when}`, `{party}`, `{total}`, `{payment}` (how and
    /// by when to pay the deposit), `{booking}`.
    pub hold: Template,
    /// `{hello}`, `{vendor}`, `{what}`, `{when}`, `{party}`, `{total}`, `{cancellation}`,
    /// `{booking}`.
    pub confirmed: Template,
    /// `{hello}`, `{vendor}`, `{changes}` (one line per change), `{what}`, `{when}`, `{party}`,
    /// `{total}`, `{booking}`.
    pub changed: Template,
    /// `{hello}`, `{vendor}`, `{what}`, `{when}`, `{refund}`, `{booking}`.
    pub cancelled: Template,
    /// `{hello}`, `{vendor}`, `{what}`, `{when}`, `{fee}`, `{booking}`.
    pub no_show: Template,
    /// `{hello}`, `{vendor}`, `{what}`, `{when}`, `{party}`, `{booking}`.
    pub reminder: Template,
    /// The welcome on check-in: `{hello}`, `{vendor}`, `{what}`, `{unit}` (`, room 214`, or
    /// empty), `{dates}` (a stay's days, or the seating), `{party}`, `{key}` (the digital key's
    /// paragraph, or empty), `{booking}`.
    pub checked_in: Template,
    /// A stay's check-out: `{hello}`, `{vendor}`, `{what}`, `{unit}`, `{dates}` (the nights
    /// stayed), `{total}`, `{booking}`.
    pub checked_out: Template,
    /// `{vendor}`, `{what}`, `{when}`, `{party}`, `{total}`, `{channel}`, `{booking}`.
    pub vendor_new: Template,
    /// `{vendor}`, `{what}`, `{when}`, `{party}`, `{booking}`.
    pub vendor_cancelled: Template,
    /// How a booking came in, as the vendor reads it (`{channel}`).
    pub online: &'static str,
    pub front_desk: &'static str,
    pub walk_in: &'static str,
    /// A booking imported from a connected booking site, channel manager or hotel system.
    pub channel: &'static str,
    pub phone: &'static str,
    /// `{vendor}`, `{when}` in each.
    pub sms: Texts,
}

pub const EN: Catalog = Catalog {
    tag: "en",
    calendar: Calendar {
        weekdays: [
            "Monday",
            "Tuesday",
            "Wednesday",
            "Thursday",
            "Friday",
            "Saturday",
            "Sunday",
        ],
        months: [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ],
        date: "{weekday}, {day} {month} {year}",
        date_time: "{date}, {time}",
    },
    numbers: Numbers {
        group: ",",
        decimal: ".",
        money: "{symbol}{amount}",
        money_code: "{symbol}\u{a0}{amount}",
    },
    phrases: Phrases {
        one_guest: "1 guest",
        guests: "{count} guests",
        stay: "{arrival} to {check_out}",
        refund: "Your deposit of {refund} is being refunded in full.",
        partial_refund: "{refund} of your deposit is being refunded; {kept} is kept under the cancellation policy.",
        no_refund: "No refund: your deposit of {kept} is kept under the cancellation policy.",
        nothing_paid: "No refund is due: nothing was paid.",
        no_show_fee: "Your deposit of {kept} is kept as the no-show fee.",
        no_show_no_fee: "No fee was charged.",
        free_cancellation_until: "You can cancel free of charge until {deadline}.",
        free_cancellation: "You can cancel free of charge.",
        changed_when: "When: {before} -> {after}",
        changed_party: "Party: {before} -> {after}",
        changed_type: "Booked: {before} -> {after}",
        changed_total: "Total: {before} -> {after}",
        pay_by_link: "To confirm the booking, pay the deposit of {deposit} by {pay_by}:\n{link}",
        pay_in_app: "To confirm the booking, pay the deposit of {deposit} by {pay_by} in the app where you booked.",
        hello: "Hello,",
        hello_name: "Hello {name},",
        in_room: ", room {number}",
        at_table: ", table {number}",
        digital_key: "Your digital room key is in the app: it opens your room until check-out.",
    },
    hold: Template {
        subject: "Pay your deposit to confirm your booking at {vendor}",
        body: "{hello}\n\nWe are holding {what} at {vendor} for you:\n\n  When: {when}\n  Party: {party}\n  Total: {total}\n\n{payment}\n\nIf it is not paid by then, the hold ends and nothing is charged.\n\nBooking {booking}\n",
    },
    confirmed: Template {
        subject: "Your booking at {vendor} is confirmed",
        body: "{hello}\n\nYour booking at {vendor} is confirmed:\n\n  {what}\n  When: {when}\n  Party: {party}\n  Total: {total}\n\n{cancellation}\n\nBooking {booking}\n",
    },
    changed: Template {
        subject: "Your booking at {vendor} has changed",
        body: "{hello}\n\nYour booking at {vendor} has changed:\n\n{changes}\n\nIt is now:\n\n  {what}\n  When: {when}\n  Party: {party}\n  Total: {total}\n\nBooking {booking}\n",
    },
    cancelled: Template {
        subject: "Your booking at {vendor} is cancelled",
        body: "{hello}\n\nYour booking at {vendor} is cancelled:\n\n  {what}\n  When: {when}\n\n{refund}\n\nBooking {booking}\n",
    },
    no_show: Template {
        subject: "You missed your booking at {vendor}",
        body: "{hello}\n\n{vendor} recorded that you did not arrive for your booking:\n\n  {what}\n  When: {when}\n\n{fee}\n\nBooking {booking}\n",
    },
    reminder: Template {
        subject: "Reminder: your booking at {vendor}",
        body: "{hello}\n\nA reminder of your booking at {vendor}:\n\n  {what}\n  When: {when}\n  Party: {party}\n\nWe look forward to seeing you.\n\nBooking {booking}\n",
    },
    checked_in: Template {
        subject: "Welcome to {vendor}",
        body: "{hello}\n\nWelcome to {vendor}. You are checked in:\n\n  {what}{unit}\n  When: {dates}\n  Party: {party}\n\n{key}Booking {booking}\n",
    },
    checked_out: Template {
        subject: "Thank you for staying at {vendor}",
        body: "{hello}\n\nThank you for staying at {vendor}. You are checked out:\n\n  {what}{unit}\n  Stayed: {dates}\n  Total: {total}\n\nWe hope to welcome you again.\n\nBooking {booking}\n",
    },
    vendor_new: Template {
        subject: "New booking: {when}",
        body: "A new booking at {vendor} ({channel}):\n\n  {what}\n  When: {when}\n  Party: {party}\n  Total: {total}\n\nBooking {booking}\n",
    },
    vendor_cancelled: Template {
        subject: "Booking cancelled: {when}",
        body: "A booking at {vendor} was cancelled:\n\n  {what}\n  When: {when}\n  Party: {party}\n\nBooking {booking}\n",
    },
    online: "online",
    front_desk: "front desk",
    walk_in: "walk-in",
    channel: "booking channel",
    phone: "phone",
    sms: Texts {
        confirmed: "{vendor}: your booking for {when} is confirmed.",
        cancelled: "{vendor}: your booking for {when} is cancelled.",
        reminder: "{vendor}: a reminder of your booking for {when}.",
        checked_in: "{vendor}: welcome! You are checked in{unit}.",
        checked_out: "{vendor}: thank you for your stay. You are checked out.",
    },
};

pub const DE: Catalog = Catalog {
    tag: "de",
    calendar: Calendar {
        weekdays: [
            "Montag",
            "Dienstag",
            "Mittwoch",
            "Donnerstag",
            "Freitag",
            "Samstag",
            "Sonntag",
        ],
        months: [
            "Januar",
            "Februar",
            "März",
            "April",
            "Mai",
            "Juni",
            "Juli",
            "August",
            "September",
            "Oktober",
            "November",
            "Dezember",
        ],
        date: "{weekday}, {day}. {month} {year}",
        date_time: "{date}, {time}",
    },
    numbers: Numbers {
        group: ".",
        decimal: ",",
        money: "{amount}\u{a0}{symbol}",
        money_code: "{amount}\u{a0}{symbol}",
    },
    phrases: Phrases {
        one_guest: "1 Person",
        guests: "{count} Personen",
        stay: "{arrival} bis {check_out}",
        refund: "Ihre Anzahlung von {refund} wird vollständig erstattet.",
        partial_refund: "{refund} Ihrer Anzahlung werden erstattet; {kept} werden gemäß den Stornobedingungen einbehalten.",
        no_refund: "Keine Erstattung: Ihre Anzahlung von {kept} wird gemäß den Stornobedingungen einbehalten.",
        nothing_paid: "Es ist keine Erstattung fällig: Es wurde nichts bezahlt.",
        no_show_fee: "Ihre Anzahlung von {kept} wird als No-Show-Gebühr einbehalten.",
        no_show_no_fee: "Es wurde keine Gebühr berechnet.",
        free_cancellation_until: "Sie können bis {deadline} kostenlos stornieren.",
        free_cancellation: "Sie können kostenlos stornieren.",
        changed_when: "Wann: {before} -> {after}",
        changed_party: "Personen: {before} -> {after}",
        changed_type: "Gebucht: {before} -> {after}",
        changed_total: "Gesamtpreis: {before} -> {after}",
        pay_by_link: "Um die Buchung zu bestätigen, zahlen Sie bitte die Anzahlung von {deposit} bis {pay_by}:\n{link}",
        pay_in_app: "Um die Buchung zu bestätigen, zahlen Sie bitte die Anzahlung von {deposit} bis {pay_by} in der App, in der Sie gebucht haben.",
        hello: "Guten Tag,",
        hello_name: "Guten Tag {name},",
        in_room: ", Zimmer {number}",
        at_table: ", Tisch {number}",
        digital_key: "Ihr digitaler Zimmerschlüssel ist in der App: Er öffnet Ihr Zimmer bis zur Abreise.",
    },
    hold: Template {
        subject: "Leisten Sie die Anzahlung, um Ihre Buchung bei {vendor} zu bestätigen",
        body: "{hello}\n\nWir halten {what} bei {vendor} für Sie bereit:\n\n  Wann: {when}\n  Personen: {party}\n  Gesamtpreis: {total}\n\n{payment}\n\nIst sie bis dahin nicht bezahlt, verfällt die Reservierung, und es wird nichts berechnet.\n\nBuchung {booking}\n",
    },
    confirmed: Template {
        subject: "Ihre Buchung bei {vendor} ist bestätigt",
        body: "{hello}\n\nIhre Buchung bei {vendor} ist bestätigt:\n\n  {what}\n  Wann: {when}\n  Personen: {party}\n  Gesamtpreis: {total}\n\n{cancellation}\n\nBuchung {booking}\n",
    },
    changed: Template {
        subject: "Ihre Buchung bei {vendor} wurde geändert",
        body: "{hello}\n\nIhre Buchung bei {vendor} wurde geändert:\n\n{changes}\n\nSie lautet jetzt:\n\n  {what}\n  Wann: {when}\n  Personen: {party}\n  Gesamtpreis: {total}\n\nBuchung {booking}\n",
    },
    cancelled: Template {
        subject: "Ihre Buchung bei {vendor} ist storniert",
        body: "{hello}\n\nIhre Buchung bei {vendor} ist storniert:\n\n  {what}\n  Wann: {when}\n\n{refund}\n\nBuchung {booking}\n",
    },
    no_show: Template {
        subject: "Sie haben Ihre Buchung bei {vendor} nicht wahrgenommen",
        body: "{hello}\n\n{vendor} hat vermerkt, dass Sie zu Ihrer Buchung nicht erschienen sind:\n\n  {what}\n  Wann: {when}\n\n{fee}\n\nBuchung {booking}\n",
    },
    reminder: Template {
        subject: "Erinnerung: Ihre Buchung bei {vendor}",
        body: "{hello}\n\nWir erinnern Sie an Ihre Buchung bei {vendor}:\n\n  {what}\n  Wann: {when}\n  Personen: {party}\n\nWir freuen uns auf Sie.\n\nBuchung {booking}\n",
    },
    checked_in: Template {
        subject: "Willkommen bei {vendor}",
        body: "{hello}\n\nWillkommen bei {vendor}! Sie sind eingecheckt:\n\n  {what}{unit}\n  Wann: {dates}\n  Personen: {party}\n\n{key}Buchung {booking}\n",
    },
    checked_out: Template {
        subject: "Vielen Dank für Ihren Aufenthalt bei {vendor}",
        body: "{hello}\n\nVielen Dank für Ihren Aufenthalt bei {vendor}. Sie sind ausgecheckt:\n\n  {what}{unit}\n  Aufenthalt: {dates}\n  Gesamtpreis: {total}\n\nWir freuen uns, Sie wieder begrüßen zu dürfen.\n\nBuchung {booking}\n",
    },
    vendor_new: Template {
        subject: "Neue Buchung: {when}",
        body: "Eine neue Buchung bei {vendor} ({channel}):\n\n  {what}\n  Wann: {when}\n  Personen: {party}\n  Gesamtpreis: {total}\n\nBuchung {booking}\n",
    },
    vendor_cancelled: Template {
        subject: "Buchung storniert: {when}",
        body: "Eine Buchung bei {vendor} wurde storniert:\n\n  {what}\n  Wann: {when}\n  Personen: {party}\n\nBuchung {booking}\n",
    },
    online: "online",
    front_desk: "Rezeption",
    walk_in: "Rezeption",
    channel: "Vertriebskanal",
    phone: "Telefon",
    sms: Texts {
        confirmed: "{vendor}: Ihre Buchung für {when} ist bestätigt.",
        cancelled: "{vendor}: Ihre Buchung für {when} ist storniert.",
        reminder: "{vendor}: Erinnerung an Ihre Buchung für {when}.",
        checked_in: "{vendor}: Willkommen! Sie sind eingecheckt{unit}.",
        checked_out: "{vendor}: Vielen Dank für Ihren Aufenthalt. Sie sind ausgecheckt.",
    },
};

pub const FR: Catalog = Catalog {
    tag: "fr",
    calendar: Calendar {
        weekdays: [
            "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
        ],
        months: [
            "janvier",
            "février",
            "mars",
            "avril",
            "mai",
            "juin",
            "juillet",
            "août",
            "septembre",
            "octobre",
            "novembre",
            "décembre",
        ],
        date: "{weekday} {day} {month} {year}",
        date_time: "{date} à {time}",
    },
    numbers: Numbers {
        group: "\u{202f}",
        decimal: ",",
        money: "{amount}\u{a0}{symbol}",
        money_code: "{amount}\u{a0}{symbol}",
    },
    phrases: Phrases {
        one_guest: "1 personne",
        guests: "{count} personnes",
        stay: "{arrival} au {check_out}",
        refund: "Votre acompte de {refund} vous est intégralement remboursé.",
        partial_refund: "{refund} de votre acompte vous sont remboursés ; {kept} sont retenus selon les conditions d'annulation.",
        no_refund: "Aucun remboursement : votre acompte de {kept} est retenu selon les conditions d'annulation.",
        nothing_paid: "Aucun remboursement n'est dû : rien n'a été payé.",
        no_show_fee: "Votre acompte de {kept} est retenu au titre de la non-présentation.",
        no_show_no_fee: "Aucuns frais n'ont été facturés.",
        free_cancellation_until: "Vous pouvez annuler sans frais jusqu'au {deadline}.",
        free_cancellation: "Vous pouvez annuler sans frais.",
        changed_when: "Quand : {before} -> {after}",
        changed_party: "Personnes : {before} -> {after}",
        changed_type: "Réservé : {before} -> {after}",
        changed_total: "Total : {before} -> {after}",
        pay_by_link: "Pour confirmer la réservation, réglez l'acompte de {deposit} avant le {pay_by} :\n{link}",
        pay_in_app: "Pour confirmer la réservation, réglez l'acompte de {deposit} avant le {pay_by} dans l'application où vous avez réservé.",
        hello: "Bonjour,",
        hello_name: "Bonjour {name},",
        in_room: ", chambre {number}",
        at_table: ", table {number}",
        digital_key: "Votre clé de chambre numérique est dans l'application : elle ouvre votre chambre jusqu'à votre départ.",
    },
    hold: Template {
        subject: "Réglez votre acompte pour confirmer votre réservation chez {vendor}",
        body: "{hello}\n\nNous vous réservons {what} chez {vendor} :\n\n  Quand : {when}\n  Personnes : {party}\n  Total : {total}\n\n{payment}\n\nSans paiement d'ici là, la réservation est levée et rien n'est facturé.\n\nRéservation {booking}\n",
    },
    confirmed: Template {
        subject: "Votre réservation chez {vendor} est confirmée",
        body: "{hello}\n\nVotre réservation chez {vendor} est confirmée :\n\n  {what}\n  Quand : {when}\n  Personnes : {party}\n  Total : {total}\n\n{cancellation}\n\nRéservation {booking}\n",
    },
    changed: Template {
        subject: "Votre réservation chez {vendor} a été modifiée",
        body: "{hello}\n\nVotre réservation chez {vendor} a été modifiée :\n\n{changes}\n\nElle est désormais :\n\n  {what}\n  Quand : {when}\n  Personnes : {party}\n  Total : {total}\n\nRéservation {booking}\n",
    },
    cancelled: Template {
        subject: "Votre réservation chez {vendor} est annulée",
        body: "{hello}\n\nVotre réservation chez {vendor} est annulée :\n\n  {what}\n  Quand : {when}\n\n{refund}\n\nRéservation {booking}\n",
    },
    no_show: Template {
        subject: "Vous ne vous êtes pas présenté chez {vendor}",
        body: "{hello}\n\n{vendor} a constaté que vous ne vous êtes pas présenté :\n\n  {what}\n  Quand : {when}\n\n{fee}\n\nRéservation {booking}\n",
    },
    reminder: Template {
        subject: "Rappel : votre réservation chez {vendor}",
        body: "{hello}\n\nPetit rappel de votre réservation chez {vendor} :\n\n  {what}\n  Quand : {when}\n  Personnes : {party}\n\nAu plaisir de vous accueillir.\n\nRéservation {booking}\n",
    },
    checked_in: Template {
        subject: "Bienvenue chez {vendor}",
        body: "{hello}\n\nBienvenue chez {vendor} ! Votre arrivée est enregistrée :\n\n  {what}{unit}\n  Quand : {dates}\n  Personnes : {party}\n\n{key}Réservation {booking}\n",
    },
    checked_out: Template {
        subject: "Merci de votre séjour chez {vendor}",
        body: "{hello}\n\nMerci de votre séjour chez {vendor}. Votre départ est enregistré :\n\n  {what}{unit}\n  Séjour : {dates}\n  Total : {total}\n\nAu plaisir de vous accueillir à nouveau.\n\nRéservation {booking}\n",
    },
    vendor_new: Template {
        subject: "Nouvelle réservation : {when}",
        body: "Nouvelle réservation chez {vendor} ({channel}) :\n\n  {what}\n  Quand : {when}\n  Personnes : {party}\n  Total : {total}\n\nRéservation {booking}\n",
    },
    vendor_cancelled: Template {
        subject: "Réservation annulée : {when}",
        body: "Une réservation chez {vendor} a été annulée :\n\n  {what}\n  Quand : {when}\n  Personnes : {party}\n\nRéservation {booking}\n",
    },
    online: "en ligne",
    front_desk: "réception",
    walk_in: "réception",
    channel: "canal de distribution",
    phone: "téléphone",
    sms: Texts {
        confirmed: "{vendor} : votre réservation du {when} est confirmée.",
        cancelled: "{vendor} : votre réservation du {when} est annulée.",
        reminder: "{vendor} : rappel de votre réservation du {when}.",
        checked_in: "{vendor} : bienvenue ! Votre arrivée est enregistrée{unit}.",
        checked_out: "{vendor} : merci de votre séjour. Votre départ est enregistré.",
    },
};

/// The languages we write, by tag. The first is the fallback.
pub const CATALOGS: [&Catalog; 3] = [&EN, &DE, &FR];

/// The catalog for a language tag: the tag itself (`de-AT`), else its language (`de`), else
/// English.
pub fn catalog(tag: &str) -> &'static Catalog {
    let tag = tag.trim();
    let language = tag.split(['-', '_']).next().unwrap_or_default();
    CATALOGS
        .iter()
        .find(|c| c.tag.eq_ignore_ascii_case(tag))
        .or_else(|| {
            CATALOGS
                .iter()
                .find(|c| c.tag.eq_ignore_ascii_case(language))
        })
        .copied()
        .unwrap_or(&EN)
}

/// `template` with every `{name}` of `values` filled in; unknown names are left as they are.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let filled = after.find('}').and_then(|close| {
            let name = &after[..close];
            values
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, value)| (*value, close))
        });
        match filled {
            Some((value, close)) => {
                out.push_str(value);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_locale_finds_its_language_and_falls_back_to_english() {
        assert_eq!(catalog("de-AT").tag, "de");
        assert_eq!(catalog("de").tag, "de");
        assert_eq!(catalog("fr-CA").tag, "fr");
        assert_eq!(catalog("en-GB").tag, "en");
        assert_eq!(catalog("pt-BR").tag, "en");
        assert_eq!(catalog("").tag, "en");
    }

    #[test]
    fn fill_replaces_known_names_and_keeps_the_rest() {
        assert_eq!(
            fill("{a} and {b} {c", &[("a", "x"), ("b", "{a}")]),
            "x and {a} {c"
        );
        assert_eq!(fill("no names", &[]), "no names");
    }

    #[test]
    fn every_language_has_the_same_placeholders_as_english() {
        fn names(text: &str) -> Vec<String> {
            let mut found: Vec<String> = text
                .split('{')
                .skip(1)
                .filter_map(|s| s.split_once('}').map(|(n, _)| n.to_owned()))
                .collect();
            found.sort();
            found.dedup();
            found
        }
        fn texts(c: &Catalog) -> Vec<&'static str> {
            let p = c.phrases;
            let mut all = vec![
                c.calendar.date,
                c.calendar.date_time,
                c.numbers.money,
                c.numbers.money_code,
                p.one_guest,
                p.guests,
                p.stay,
                p.refund,
                p.partial_refund,
                p.no_refund,
                p.nothing_paid,
                p.no_show_fee,
                p.no_show_no_fee,
                p.free_cancellation_until,
                p.free_cancellation,
                p.changed_when,
                p.changed_party,
                p.changed_type,
                p.changed_total,
                p.pay_by_link,
                p.pay_in_app,
                p.hello,
                p.hello_name,
                p.in_room,
                p.at_table,
                p.digital_key,
                c.sms.confirmed,
                c.sms.cancelled,
                c.sms.reminder,
                c.sms.checked_in,
                c.sms.checked_out,
            ];
            for t in [
                c.hold,
                c.confirmed,
                c.changed,
                c.cancelled,
                c.no_show,
                c.reminder,
                c.checked_in,
                c.checked_out,
                c.vendor_new,
                c.vendor_cancelled,
            ] {
                all.push(t.subject);
                all.push(t.body);
            }
            all
        }
        let english = texts(&EN);
        for catalog in CATALOGS {
            for (ours, theirs) in texts(catalog).iter().zip(&english) {
                assert_eq!(names(ours), names(theirs), "{}: {ours}", catalog.tag);
            }
        }
    }
}
