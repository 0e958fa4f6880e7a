"""A fixed retrieval benchmark: short documents and paraphrased questions about them.

The questions avoid the documents' wording on purpose (synonyms, other
phrasing), which is where keyword search fails and embeddings must carry.
"""

DOCUMENTS = {
    "refunds.md": "Refund policy. Customers may return any product within 30 days of delivery for a full "
    "refund. Items must be unused and in their original packaging. Refunds are credited to the original "
    "payment method within five business days after we receive the parcel.",
    "shipping.md": "Shipping. Orders placed before 2 pm are dispatched the same day. Standard delivery takes "
    "three to five working days; express delivery arrives the next working day for an extra fee of 9 euros. "
    "We ship to every country in the European Union.",
    "passwords.md": "Account security. Passwords must be at least 12 characters long and are rotated every 90 "
    "days. Two-factor authentication with an authenticator app is mandatory for administrators.",
    "vacation.md": "Leave. Full-time employees receive 25 days of paid annual leave. Unused days can be carried "
    "over until the end of March of the following year. Requests are approved by the team lead.",
    "remote.md": "Working from home. Staff may work remotely up to three days per week. The company pays a "
    "monthly allowance of 40 euros for internet costs and provides a laptop and a second monitor.",
    "expenses.md": "Expenses. Travel costs are reimbursed when the expense report is filed within 30 days. "
    "Receipts are required for every amount above 25 euros. Taxi rides need a short justification.",
    "onboarding.md": "First week. New hires meet their mentor on the first morning, receive their badge from "
    "reception and complete the mandatory safety training before Friday.",
    "coffee.md": "Kitchen. The espresso machine on the third floor must be descaled every Monday. Milk is "
    "restocked daily and the dishwasher runs automatically at 6 pm.",
    "parking.md": "Parking. The underground garage has 40 spaces, assigned by lottery every quarter. Bicycles "
    "can be left in the secure rack next to the main entrance; charging points for electric cars are free.",
    "backups.md": "Backups. The database is backed up every night at 2 am and copies are kept for 35 days in "
    "a second region. A restore is tested once a month by the operations team.",
    "incidents.md": "Incidents. Outages are reported in the incident channel. The on-call engineer must "
    "acknowledge a page within 15 minutes and publish a post-mortem within five days.",
    "warranty.md": "Warranty. Electronic devices carry a two-year manufacturer warranty covering defects in "
    "materials and workmanship; accidental damage such as dropping the device is not covered.",
}

# (question, the document that answers it)
QUERIES = [
    ("How long do I have to send an item back and get my money back?", "refunds.md"),
    ("When will the money from a returned order reach my card?", "refunds.md"),
    ("If I order in the morning, when does the package leave the warehouse?", "shipping.md"),
    ("How much does it cost to get my parcel tomorrow?", "shipping.md"),
    ("What is the minimum length of a login secret?", "passwords.md"),
    ("Do admins need a second factor to sign in?", "passwords.md"),
    ("How many holidays per year do I get?", "vacation.md"),
    ("Can I keep days off I did not take for next year?", "vacation.md"),
    ("How often am I allowed to do my job from my house?", "remote.md"),
    ("Does the employer contribute to my home broadband bill?", "remote.md"),
    ("What is the deadline to claim back money I spent on a business trip?", "expenses.md"),
    ("Do I need to keep the ticket for a small purchase of 10 euros?", "expenses.md"),
    ("What happens on the first day for someone who just joined?", "onboarding.md"),
    ("Where do newcomers pick up their access card?", "onboarding.md"),
    ("When is the coffee maker cleaned of limescale?", "coffee.md"),
    ("Who refills the milk in the break room and how often?", "coffee.md"),
    ("How are car spots in the basement handed out?", "parking.md"),
    ("Where can I leave my bike?", "parking.md"),
    ("How long are copies of our data retained?", "backups.md"),
    ("How often do we check that recovering the data actually works?", "backups.md"),
    ("How quickly must the person on duty respond when they are alerted?", "incidents.md"),
    ("Where should I tell people that the service is down?", "incidents.md"),
    ("Is a phone I broke by dropping it repaired for free?", "warranty.md"),
    ("For how many years are gadgets protected against manufacturing faults?", "warranty.md"),
]
