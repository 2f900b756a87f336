"""Drug hotspots (điểm, tụ điểm phức tạp về ma túy) and their status over time."""
