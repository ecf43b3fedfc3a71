"""E-mail notifications to members (issue 19): voucher issued, gift shipped and delivered, the monthly digest of
points expiring within 30 days, and an optional welcome.

- `texts`: the placeholders, the shipped default texts in en/fr/nl/it, and the safe substitution;
- `render`: a notification as an e-mail (the member's language, plain-text and HTML parts, unsubscribe link);
- `services`: recording a notification where its event happens, sending it once, the opt-out, the digest.
"""
