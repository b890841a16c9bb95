"""The phone's outbox protocol (static/field/outbox.js), played in Python against a real server under
faults, to prove that every record is stored exactly once.

The rules the phone follows: a record keeps its client_uuid and its body across every attempt; an
answer 200/201 carrying the record's id means stored; 408, 429, 5xx, a network error or a lost answer
mean try again later; 401 (or code sign_in_again) means wait for a login; any other 4xx means the
record was refused, which must never happen to a good record. The faults: a request lost on the way,
an answer lost on the way back, a request sent twice at once, records sent out of order, and two
tabs sending the same records at the same time. (The database restarting under it is the caller's.)"""

from __future__ import annotations

import random
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import requests

RETRY = "retry"
STORED = "stored"
REFUSED = "refused"

# Faults of one attempt and how often each happens.
FAULTS = {"request_lost": 0.15, "answer_lost": 0.15, "sent_twice": 0.1}


@dataclass
class Record:
    """One record waiting in the outbox: its body never changes between attempts."""

    body: dict
    stored_id: int | None = None
    refused: str = ""


@dataclass
class Tally:
    attempts: int = 0
    requests_lost: int = 0
    answers_lost: int = 0
    sent_twice: int = 0
    server_errors: int = 0
    network_errors: int = 0
    refused: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, **counts):
        with self.lock:
            for name, value in counts.items():
                setattr(self, name, getattr(self, name) + value)


class OutboxClient:
    """One phone: a session on the server (token) and the rules above."""

    def __init__(self, base_url: str, token: str, *, rng: random.Random, tally: Tally, timeout=20):
        self.url = base_url.rstrip("/") + "/api/activities/"
        self.headers = {"Authorization": f"Token {token}", "Accept-Language": "zh-hans"}
        self.rng, self.tally, self.timeout = rng, tally, timeout
        self.http = requests.Session()

    def _post(self, record: Record):
        """One request; what the phone learns from it: STORED, RETRY or REFUSED."""
        try:
            response = self.http.post(self.url, json=record.body, headers=self.headers, timeout=self.timeout)
        except requests.RequestException:
            self.tally.add(network_errors=1)
            return RETRY, None
        if response.status_code in (408, 429) or response.status_code >= 500:
            self.tally.add(server_errors=1 if response.status_code >= 500 else 0)
            return RETRY, None
        if response.status_code == 401:
            return RETRY, None
        if response.status_code in (200, 201):
            return STORED, response.json()["id"]
        return REFUSED, f"{response.status_code} {response.text[:200]}"

    def attempt(self, record: Record):
        """An attempt as the network treats it: lost, answered but lost, sent twice, or plain."""
        self.tally.add(attempts=1)
        draw = self.rng.random()
        if draw < FAULTS["request_lost"]:
            self.tally.add(requests_lost=1)
            return
        if draw < FAULTS["request_lost"] + FAULTS["answer_lost"]:
            self._post(record)  # the server may have stored it; the phone never hears
            self.tally.add(answers_lost=1)
            return
        if draw < sum(FAULTS.values()):
            self.tally.add(sent_twice=1)
            results = [None, None]

            def send(slot):
                results[slot] = self._post(record)

            threads = [threading.Thread(target=send, args=(slot,)) for slot in (0, 1)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            outcomes = [result for result in results if result[0] != RETRY]
            outcome = outcomes[0] if outcomes else (RETRY, None)
        else:
            outcome = self._post(record)
        self._settle(record, *outcome)

    def _settle(self, record: Record, outcome, value):
        if outcome == STORED:
            if record.stored_id is not None and record.stored_id != value:
                record.refused = f"answered with two ids: {record.stored_id} and {value}"
            record.stored_id = value
        elif outcome == REFUSED:
            record.refused = value
            self.tally.refused.append(value)

    def send_all(self, records: list[Record], *, max_rounds=200):
        """The outbox loop: every waiting record, in a shuffled order, until each is stored; between
        rounds it waits a little longer each time (the phone retries every minute; here the server
        may be restarting for a second or two)."""
        for round_number in range(max_rounds):
            waiting = [record for record in records if record.stored_id is None and not record.refused]
            if not waiting:
                return True
            if round_number:
                time.sleep(min(2.0, 0.02 * round_number))
            self.rng.shuffle(waiting)
            for record in waiting:
                self.attempt(record)
        return False


def cleanup_body(*, client_uuid, started_at: datetime, lonlat, participants=()) -> dict:
    """A cleanup at a point, an hour long, as the phone's cleanup form sends it."""
    return {
        "client_uuid": str(client_uuid), "kind": "cleanup",
        "started_at": started_at.isoformat(), "ended_at": (started_at + timedelta(hours=1)).isoformat(),
        "point": list(lonlat), "participants": list(participants),
        "figures": {"debris_kg": "2.5", "bags": 1}, "notes": "演练",
    }


def trial_records(rng: random.Random, *, first_start: datetime, lonlat, companions, count_range=(1, 4)):
    """The records of one trial, each an hour in a slot of its own (a person is counted once per
    time), some with a companion or two."""
    records = []
    for index in range(rng.randint(*count_range)):
        started = first_start + timedelta(hours=2 * index)
        chosen = rng.sample(list(companions), k=rng.randint(0, min(2, len(companions))))
        records.append(Record(cleanup_body(client_uuid=uuid.UUID(int=rng.getrandbits(128), version=4),
                                           started_at=started, lonlat=lonlat, participants=chosen)))
    return records


def run_trial(base_url, token, rng, tally, records, *, tabs=1):
    """One trial: `tabs` tabs of the same phone send the same outbox at once (each its own copy of
    the records' states, as two tabs reading one IndexedDB would race). True when every tab ended
    with every record stored or refused."""
    copies = [[Record(dict(record.body)) for record in records] for _tab in range(tabs)]
    done = [False] * tabs

    def tab(slot):
        client = OutboxClient(base_url, token, rng=random.Random(rng.getrandbits(64)), tally=tally)
        done[slot] = client.send_all(copies[slot])

    threads = [threading.Thread(target=tab, args=(slot,)) for slot in range(tabs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # The records' stored ids, as the first tab learned them; every tab must agree.
    for index, record in enumerate(records):
        ids = {copy[index].stored_id for copy in copies}
        record.stored_id = copies[0][index].stored_id if len(ids) == 1 else None
        record.refused = next((copy[index].refused for copy in copies if copy[index].refused), "")
        if len(ids) > 1:
            record.refused = f"tabs disagree: {sorted(ids, key=str)}"
    return all(done)


def utc(text):
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)
