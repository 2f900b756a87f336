def test_officer_lands_on_commune_workspace(world, login):
    client = login("officer_a")
    response = client.get("/", follow_redirects=True)
    assert response.status_code == 200
    assert "Xã Quang Trung" in response.get_data(as_text=True)
