def test_customer_creates_and_reads_ticket(as_customer):
    created = as_customer.post("/api/v1/tickets", json={"title": "Hi", "description": "Help"})
    assert created.status_code == 201
    read = as_customer.get(created.headers["Location"])
    assert read.status_code == 200
    assert read.json["title"] == "Hi"
