from people.services import person_anonymising


def close_requests_of_a_leaver(sender, person, label, **kwargs):
    from .services import close_requests_of_leaver

    return close_requests_of_leaver(person=person)


def connect():
    person_anonymising.connect(close_requests_of_a_leaver, dispatch_uid="certificates.close_requests")
