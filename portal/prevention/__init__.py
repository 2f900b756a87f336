"""Drug-prevention models (mô hình phòng, chống ma túy) and their activities."""
